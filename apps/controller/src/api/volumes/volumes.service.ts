/**
 * VolumesService: /api/volumes and the mounts of containers and services.
 * Local volumes live on one node (recorded when the first task using one is
 * placed; the scheduler sends later tasks there); a mount naming a volume
 * that does not exist creates it, as in Docker. Removing a volume in use is
 * refused; removing one that holds data asks its node to delete the data
 * first, so no row outlives its data or the other way round.
 */
import { Injectable } from '@nestjs/common';
import { ConflictError, ContainerStore, NodeStore, TaskStore, VolumeStore, anonymousName, type Volume } from '../../store/store.module.js';
import { NodeRouter } from '../../dispatcher/dispatcher.module.js';
import { MountError, VOLUME_NAME, asMounts, checkMounts, type Mount } from '#libs/common';
import { fieldError } from '../common/validation.js';

/** REMOVE_TIMEOUT_MS bounds a node's answer to a removal. */
const REMOVE_TIMEOUT_MS = 30_000;
/** How often, and how far apart, rm -v asks a node that is still removing the container to remove its anonymous volumes. */
const ANON_REMOVE_TRIES = 10;
const ANON_REMOVE_PAUSE_MS = 500;

/** LOCAL_OPTIONS: what Docker's local driver takes: a filesystem to mount (type, device, mount options o). */
const LOCAL_OPTIONS = ['type', 'device', 'o'];

function checkLocalOptions(o: Record<string, string>, field: string): void {
  for (const k of Object.keys(o)) if (!LOCAL_OPTIONS.includes(k)) throw fieldError(field, `the local driver takes type, device and o, not "${k}"`);
  if (!o.type && (o.device || o.o)) throw fieldError(field, 'the local driver mounts a filesystem only with type= (e.g. type=tmpfs,device=tmpfs,o=size=64m)');
  if (o.type && !/^[\w.-]{1,32}$/.test(o.type)) throw fieldError(field, `type "${o.type}" is not a filesystem type`);
  if (o.o && /[\s]/.test(o.o)) throw fieldError(field, 'o takes comma-separated mount options without spaces');
}

export function viewVolume(v: Volume, users?: number, hostnames: Map<string, string> = new Map()) {
  return {
    name: v.name,
    driver: v.driver,
    scope: v.scope,
    options: v.options ?? {},
    labels: v.labels ?? {},
    nodeId: v.nodeId ?? '',
    node: v.nodeId ? (hostnames.get(v.nodeId) ?? v.nodeId) : '',
    anonymous: v.anonymous,
    createdAt: v.createdAt.toISOString(),
    ...(users !== undefined ? { inUse: users } : {}),
  };
}

export interface CreateVolume {
  name?: string;
  driver?: string;
  options?: Record<string, string>;
  labels?: Record<string, string>;
}

@Injectable()
export class VolumesService {
  constructor(
    private readonly store: VolumeStore,
    private readonly containers: ContainerStore,
    private readonly tasks: TaskStore,
    private readonly nodes: NodeStore,
    private readonly router: NodeRouter,
  ) {}

  /** plugins: the volume plugins ready nodes report, with their scope. */
  private async plugins(): Promise<Map<string, string>> {
    const out = new Map<string, string>();
    for (const n of await this.nodes.list()) {
      if (n.status !== 'ready') continue;
      for (const p of (n.volumePlugins ?? []) as Array<{ name: string; scope: string }>) out.set(p.name, p.scope);
    }
    return out;
  }

  /** scopeOf: a driver's scope, or a 400 naming `field` when no ready node has it. */
  private async scopeOf(driver: string, field: string): Promise<string> {
    if (driver === 'local') return 'local';
    const plugins = await this.plugins();
    const scope = plugins.get(driver);
    if (!scope) throw fieldError(field, `unknown volume driver "${driver}": no ready node has it (local${plugins.size ? `, ${[...plugins.keys()].join(', ')}` : ''})`);
    return scope;
  }

  private async hostnames(): Promise<Map<string, string>> {
    return new Map((await this.nodes.list()).map((n) => [n.id, n.hostname]));
  }

  async list() {
    const hosts = await this.hostnames();
    return (await this.store.list()).map((v) => viewVolume(v, undefined, hosts));
  }

  async get(name: string) {
    const v = await this.store.get(name);
    return viewVolume(v, await this.store.usersOf(v.name), await this.hostnames());
  }

  async create(dto: CreateVolume) {
    const name = dto.name ?? anonymousName();
    if (!VOLUME_NAME.test(name)) throw fieldError('name', 'a volume name has letters, digits, _ . - (at most 128, starting with a letter or digit)');
    const driver = dto.driver ?? 'local';
    const scope = await this.scopeOf(driver, 'driver');
    for (const [k, v] of Object.entries({ ...dto.options, ...dto.labels })) {
      if (typeof v !== 'string') throw fieldError(k in (dto.options ?? {}) ? 'options' : 'labels', `${k} must be a string`);
    }
    if (driver === 'local') checkLocalOptions(dto.options ?? {}, 'options');
    return viewVolume(await this.store.create({ name, driver, scope, options: dto.options ?? {}, labels: dto.labels ?? {} }));
  }

  async remove(name: string, force = false): Promise<void> {
    const v = await this.store.get(name);
    const users = await this.store.usersOf(v.name);
    if (users) throw new ConflictError(`volume ${v.name} is in use by ${users} task${users === 1 ? '' : 's'}; remove them first`);
    await this.removeData(v, force);
    await this.store.delete(v.name);
  }

  /** removeData asks the volume's node to delete its data; a node that cannot be asked fails the removal unless forced. */
  private async removeData(v: Volume, force: boolean): Promise<void> {
    // A local volume's data is on its node (none: never used); a global plugin's is reached from any node with the plugin.
    const node =
      v.nodeId ??
      (v.scope === 'global' ? (await this.nodes.list()).find((n) => n.status === 'ready' && ((n.volumePlugins ?? []) as Array<{ name: string }>).some((p) => p.name === v.driver))?.id : undefined);
    if (!node) {
      if (v.scope === 'global' && !force) throw new ConflictError(`volume ${v.name}: no ready node has its driver ${v.driver} to delete the data; retry later, or force`);
      return;
    }
    try {
      for await (const _ of this.router.stream(node, { kind: 'volume-rm', names: [v.name], drivers: { [v.name]: v.driver } }, AbortSignal.timeout(REMOVE_TIMEOUT_MS))) return;
    } catch (err) {
      if (!force) throw new ConflictError(`volume ${v.name}: its node could not delete the data (${(err as Error).message}); retry when the node is up, or force`);
    }
  }

  /** prune removes unused volumes: anonymous ones, or every one with `all` (as Docker 23+). */
  async prune(all: boolean) {
    const removed: string[] = [];
    for (const v of await this.store.list()) {
      if ((!all && !v.anonymous) || (await this.store.usersOf(v.name))) continue;
      try {
        await this.removeData(v, false);
      } catch {
        continue; // its node is away: kept for a later prune
      }
      await this.store.delete(v.name);
      removed.push(v.name);
    }
    return { removed };
  }

  /**
   * removeAnonymous removes a removed container's anonymous volumes (rm -v); those in use elsewhere
   * stay. Its node may still be removing the container: it is asked again for a few seconds.
   */
  async removeAnonymous(mounts: Mount[]): Promise<void> {
    const names = mounts.filter((m) => m.type === 'volume').map((m) => m.source);
    for (const v of await this.store.byNames(names)) {
      if (!v.anonymous || (await this.store.usersOf(v.name))) continue;
      for (let i = 0; i < ANON_REMOVE_TRIES; i++) {
        const done = await this.remove(v.name).then(
          () => true,
          () => false,
        );
        if (done) break;
        await new Promise((r) => setTimeout(r, ANON_REMOVE_PAUSE_MS));
      }
    }
  }

  /**
   * checkMounts validates a request's mounts and, for a container, adds those of
   * --volumes-from (CONTAINER[:ro|:rw]); returns them and the node they pin the task to.
   */
  async checkMounts(mounts: Array<Record<string, unknown>> = [], volumesFrom: string[] = []): Promise<{ mounts: Mount[]; pinnedNode?: string }> {
    let own: Mount[];
    try {
      own = checkMounts(mounts.map((m) => ({ ...m, source: (m.source as string) ?? '' }) as unknown as Mount));
    } catch (err) {
      if (err instanceof MountError) throw fieldError('mounts', err.message);
      throw err;
    }
    let pinnedNode: string | undefined;
    const borrowed: Mount[] = [];
    for (const ref of volumesFrom) {
      const [name, mode] = ref.split(':');
      const src = await this.containers.resolve(name);
      const t = src.task;
      if (!t?.nodeId) throw new ConflictError(`container ${src.name} has not been placed on a node yet; --volumes-from needs its node`);
      if (pinnedNode && pinnedNode !== t.nodeId) throw fieldError('volumesFrom', "the containers given run on different nodes; a container can only share one node's volumes");
      pinnedNode = t.nodeId;
      for (const m of asMounts(t.mounts)) {
        if (m.type === 'tmpfs') continue;
        borrowed.push({ ...m, ...(mode ? { readonly: mode === 'ro' } : {}) });
      }
    }
    // A mount naming a new plugin volume creates it with its driver's scope; an existing volume keeps its driver.
    for (const m of own) {
      if (m.type === 'volume' && !m.volumeDriver && m.volumeOptions) checkLocalOptions(m.volumeOptions, 'mounts');
      if (m.type !== 'volume' || !m.volumeDriver) continue;
      const scope = await this.scopeOf(m.volumeDriver, 'mounts');
      if (!m.source) continue;
      const existing = (await this.store.byNames([m.source]))[0];
      if (existing && existing.driver !== m.volumeDriver) throw new ConflictError(`volume ${m.source} exists with driver ${existing.driver}, not ${m.volumeDriver}`);
      if (!existing)
        await this.store.create({ name: m.source, driver: m.volumeDriver, scope, options: m.volumeOptions ?? {}, labels: {} }).catch((err: Error) => {
          if (!(err instanceof ConflictError)) throw err;
        });
    }
    const targets = new Set(own.map((m) => m.target));
    const all = [...own, ...borrowed.filter((m) => !targets.has(m.target))];
    return { mounts: all, ...(pinnedNode ? { pinnedNode } : {}) };
  }
}
