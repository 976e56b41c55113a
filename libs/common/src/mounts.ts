/**
 * Mounts as users write them — `--mount type=volume|bind|tmpfs,source=,target=,readonly,...`
 * and `-v [SOURCE:]TARGET[:OPTIONS]` — and as services, containers and tasks
 * store them. Shared by the CLI, the controller's validation and the agent.
 */
export class MountError extends Error {}

export type MountType = 'volume' | 'bind' | 'tmpfs';

export interface Mount {
  type: MountType;
  /** A volume's name ("" for an anonymous one until the controller names it), or a bind's host path. */
  source: string;
  /** Absolute path in the container. */
  target: string;
  readonly?: boolean;
  /** bind: rprivate (default), private, rshared, shared, rslave, slave. */
  propagation?: string;
  /** volume: the driver and options it is created with when this mount creates it. */
  volumeDriver?: string;
  volumeOptions?: Record<string, string>;
  /** tmpfs: size in bytes (0 = the kernel's default, half of memory) and mode. */
  tmpfsSize?: number;
  tmpfsMode?: number;
}

export const VOLUME_NAME = /^[a-zA-Z0-9][a-zA-Z0-9_.-]{0,127}$/;
export const PROPAGATIONS = ['rprivate', 'private', 'rshared', 'shared', 'rslave', 'slave'];

/** checkTarget: a container path must be absolute, normalised and not the root. */
function checkTarget(target: string, what: string): string {
  if (!target) throw new MountError(`${what}: give the target path in the container`);
  if (!target.startsWith('/')) throw new MountError(`${what}: target "${target}" must be an absolute path`);
  const clean = target.replace(/\/+$/, '').replace(/\/{2,}/g, '/');
  if (!clean || clean.split('/').some((p) => p === '..' || p === '.')) throw new MountError(`${what}: target "${target}" must be a path below / without . or ..`);
  return clean;
}

/** parseSize reads 64m, 1g, 512k or bytes. */
export function parseSize(v: string, what: string): number {
  const m = /^(\d+)([kmg]?)b?$/i.exec(v.trim());
  if (!m) throw new MountError(`${what}: "${v}" is not a size (e.g. 64m, 1g)`);
  return Number(m[1]) * { '': 1, k: 1024, m: 1024 ** 2, g: 1024 ** 3 }[m[2].toLowerCase() as '' | 'k' | 'm' | 'g'];
}

/** parseMountFlag reads one `--mount` value. */
export function parseMountFlag(value: string): Mount {
  const what = `--mount "${value}"`;
  const m: Omit<Partial<Mount>, 'type'> & { type?: string } = {};
  for (const part of value.split(',')) {
    const eq = part.indexOf('=');
    const key = (eq < 0 ? part : part.slice(0, eq)).trim();
    const v = eq < 0 ? undefined : part.slice(eq + 1).trim();
    switch (key) {
      case 'type':
        m.type = v;
        break;
      case 'source':
      case 'src':
        m.source = v ?? '';
        break;
      case 'target':
      case 'destination':
      case 'dst':
        m.target = v ?? '';
        break;
      case 'readonly':
      case 'ro':
        if (v !== undefined && !['true', 'false', '1', '0'].includes(v)) throw new MountError(`${what}: readonly takes true or false`);
        m.readonly = v === undefined || v === 'true' || v === '1';
        break;
      case 'bind-propagation':
        m.propagation = v;
        break;
      case 'volume-driver':
        m.volumeDriver = v;
        break;
      case 'volume-opt': {
        const i = (v ?? '').indexOf('=');
        if (i < 1) throw new MountError(`${what}: volume-opt takes KEY=VALUE`);
        m.volumeOptions = { ...m.volumeOptions, [v!.slice(0, i)]: v!.slice(i + 1) };
        break;
      }
      case 'tmpfs-size':
        m.tmpfsSize = parseSize(v ?? '', what);
        break;
      case 'tmpfs-mode':
        if (!/^[0-7]{3,4}$/.test(v ?? '')) throw new MountError(`${what}: tmpfs-mode is an octal mode such as 1777`);
        m.tmpfsMode = parseInt(v!, 8);
        break;
      default:
        throw new MountError(`${what}: unknown key "${key}" (type, source, target, readonly, bind-propagation, volume-driver, volume-opt, tmpfs-size, tmpfs-mode)`);
    }
  }
  return checkMount({ ...m, type: (m.type ?? 'volume') as MountType, source: m.source ?? '', target: m.target ?? '' }, what);
}

/** parseVolumeFlag reads one `-v` value: /abs/host:/target (bind), name:/target (volume) or /target (anonymous volume), then :ro,rw,z,propagation. */
export function parseVolumeFlag(value: string): Mount {
  const what = `-v "${value}"`;
  const parts = value.split(':');
  if (parts.length > 3 || parts.some((p) => p === '')) throw new MountError(`${what}: must be [SOURCE:]TARGET[:OPTIONS]`);
  const [a, b, c] = parts as [string, string?, string?];
  const [source, target, opts] = b === undefined ? ['', a, ''] : [a, b, c ?? ''];
  const m: Mount = { type: source.startsWith('/') ? 'bind' : 'volume', source, target };
  for (const o of opts ? opts.split(',') : []) {
    if (o === 'ro' || o === 'rw') m.readonly = o === 'ro';
    else if (PROPAGATIONS.includes(o)) m.propagation = o;
    else if (o !== 'z' && o !== 'Z' && o !== 'nocopy') throw new MountError(`${what}: unknown option "${o}" (ro, rw, ${PROPAGATIONS.join(', ')})`);
  }
  return checkMount(m, what);
}

/** checkMount validates a mount (from a flag or an API request); returns it normalised. */
export function checkMount(m: Mount, what = 'mount'): Mount {
  if (!['volume', 'bind', 'tmpfs'].includes(m.type)) throw new MountError(`${what}: type must be volume, bind or tmpfs`);
  const target = checkTarget(m.target, what);
  const out: Mount = { type: m.type, source: m.source ?? '', target, ...(m.readonly ? { readonly: true } : {}) };
  if (m.type === 'bind') {
    if (!out.source.startsWith('/')) throw new MountError(`${what}: a bind source must be an absolute host path, not "${out.source}"`);
    if (m.propagation && !PROPAGATIONS.includes(m.propagation)) throw new MountError(`${what}: bind-propagation must be one of ${PROPAGATIONS.join(', ')}`);
    if (m.propagation) out.propagation = m.propagation;
  } else if (m.propagation) throw new MountError(`${what}: bind-propagation is for bind mounts`);
  if (m.type === 'volume') {
    if (out.source && !VOLUME_NAME.test(out.source)) throw new MountError(`${what}: "${out.source}" is not a volume name (letters, digits, _ . -; or an absolute path for a bind)`);
    if (m.volumeDriver && m.volumeDriver !== 'local') {
      if (!/^[\w.-]{1,64}$/.test(m.volumeDriver)) throw new MountError(`${what}: "${m.volumeDriver}" is not a volume driver name`);
      out.volumeDriver = m.volumeDriver;
    }
    if (m.volumeOptions && Object.keys(m.volumeOptions).length) out.volumeOptions = m.volumeOptions;
  } else if ((m.volumeOptions && Object.keys(m.volumeOptions).length) || m.volumeDriver) throw new MountError(`${what}: volume-driver and volume-opt are for volume mounts`);
  if (m.type === 'tmpfs') {
    if (out.source) throw new MountError(`${what}: a tmpfs mount has no source`);
    if (m.tmpfsSize) out.tmpfsSize = m.tmpfsSize;
    if (m.tmpfsMode !== undefined) out.tmpfsMode = m.tmpfsMode;
  } else if (m.tmpfsSize || m.tmpfsMode !== undefined) throw new MountError(`${what}: tmpfs-size and tmpfs-mode are for tmpfs mounts`);
  return out;
}

/** checkMounts validates a list: no two mounts on one target. */
export function checkMounts(list: Mount[]): Mount[] {
  const out = list.map((m, i) => checkMount(m, `mounts[${i}]`));
  const targets = out.map((m) => m.target);
  const twice = targets.find((t, i) => targets.indexOf(t) !== i);
  if (twice) throw new MountError(`two mounts on ${twice}`);
  return out;
}

/** asMounts reads a stored mounts column. */
export function asMounts(v: unknown): Mount[] {
  return Array.isArray(v) ? v.filter((m): m is Mount => !!m && typeof m === 'object' && typeof (m as Mount).target === 'string') : [];
}
