/**
 * berth-volume-loopfs: a volume plugin speaking Docker's volume plugin
 * protocol (JSON over HTTP on a unix socket), and Berth's example and test
 * fixture for it. Each volume is an ext4 filesystem image of its own size
 * (-o size=64m, default 64m) under --root, loop-mounted at
 * <root>/mnt/<name> while at least one container has it mounted. Scope:
 * local (the data lives on this host).
 *
 * Usage: berth-volume-loopfs --socket /run/berth/plugins/loopfs.sock --root /var/lib/berth-loopfs
 */
import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdir, readdir, rm, unlink } from 'node:fs/promises';
import http from 'node:http';
import path from 'node:path';
import { parseArgs, promisify } from 'node:util';

const run = promisify(execFile);
const NAME = /^[a-zA-Z0-9][a-zA-Z0-9_.-]{0,127}$/;
const SIZE = /^(\d+)([kmg])?$/i;
const MIN_BYTES = 8 * 1024 * 1024;

const { values } = parseArgs({ options: { socket: { type: 'string' }, root: { type: 'string' } } });
if (!values.socket || !values.root) {
  process.stderr.write('usage: berth-volume-loopfs --socket PATH --root DIR\n');
  process.exit(2);
}
const root = path.resolve(values.root);
/** name → ids of the containers that have it mounted (the kernel mount is shared). */
const users = new Map<string, Set<string>>();

const image = (n: string) => path.join(root, `${n}.img`);
const mountpoint = (n: string) => path.join(root, 'mnt', n);

function bytes(v: string | undefined): number {
  const m = SIZE.exec(v ?? '64m');
  if (!m) throw new Error(`size "${v}" is not a size such as 64m or 1g`);
  const n = Number(m[1]) * { '': 1, k: 1024, m: 1024 ** 2, g: 1024 ** 3 }[(m[2] ?? '').toLowerCase() as '' | 'k' | 'm' | 'g'];
  if (n < MIN_BYTES) throw new Error(`size ${v} is below the 8m an ext4 volume needs`);
  return n;
}

async function mounted(n: string): Promise<boolean> {
  return await run('findmnt', ['-n', mountpoint(n)]).then(
    () => true,
    () => false,
  );
}

type Handler = (body: Record<string, unknown>) => Promise<Record<string, unknown>>;
const name = (b: Record<string, unknown>) => {
  const n = typeof b.Name === 'string' ? b.Name : '';
  if (!NAME.test(n)) throw new Error(`"${n}" is not a volume name`);
  return n;
};
const volume = async (n: string) => ({ Name: n, Mountpoint: (await mounted(n)) ? mountpoint(n) : '', Status: {} });

const handlers: Record<string, Handler> = {
  'Plugin.Activate': async () => ({ Implements: ['VolumeDriver'] }),
  'VolumeDriver.Capabilities': async () => ({ Capabilities: { Scope: 'local' } }),
  'VolumeDriver.Create': async (b) => {
    const n = name(b);
    const opts = (b.Opts ?? {}) as Record<string, string>;
    for (const k of Object.keys(opts)) if (k !== 'size') throw new Error(`unknown option "${k}" (size)`);
    if (existsSync(image(n))) throw new Error(`volume ${n} already exists`);
    const size = bytes(opts.size);
    await mkdir(root, { recursive: true });
    await run('truncate', ['-s', String(size), image(n)]);
    await run('mkfs.ext4', ['-q', '-F', '-E', 'root_owner=0:0', image(n)]).catch(async (err: Error) => {
      await unlink(image(n)).catch(() => {});
      throw err;
    });
    return {};
  },
  'VolumeDriver.Remove': async (b) => {
    const n = name(b);
    if (users.get(n)?.size || (await mounted(n))) throw new Error(`volume ${n} is mounted`);
    await rm(image(n), { force: true });
    await rm(mountpoint(n), { recursive: true, force: true });
    return {};
  },
  'VolumeDriver.Mount': async (b) => {
    const n = name(b);
    if (!existsSync(image(n))) throw new Error(`no volume ${n}`);
    if (!(await mounted(n))) {
      await mkdir(mountpoint(n), { recursive: true });
      await run('mount', ['-o', 'loop', image(n), mountpoint(n)]);
    }
    users.set(n, new Set([...(users.get(n) ?? []), typeof b.ID === 'string' ? b.ID : '']));
    return { Mountpoint: mountpoint(n) };
  },
  'VolumeDriver.Unmount': async (b) => {
    const n = name(b);
    const ids = users.get(n) ?? new Set<string>();
    ids.delete(typeof b.ID === 'string' ? b.ID : '');
    if (!ids.size && (await mounted(n))) await run('umount', [mountpoint(n)]);
    return {};
  },
  'VolumeDriver.Path': async (b) => ({ Mountpoint: (await volume(name(b))).Mountpoint }),
  'VolumeDriver.Get': async (b) => {
    const n = name(b);
    if (!existsSync(image(n))) throw new Error(`no volume ${n}`);
    return { Volume: await volume(n) };
  },
  'VolumeDriver.List': async () => {
    const files = (await readdir(root).catch(() => [] as string[])).filter((f) => f.endsWith('.img'));
    return { Volumes: await Promise.all(files.map((f) => volume(f.slice(0, -4)))) };
  },
};

const server = http.createServer((req, res) => {
  const chunks: Buffer[] = [];
  req.on('data', (c: Buffer) => chunks.push(c));
  req.on('end', () => {
    const reply = (code: number, o: Record<string, unknown>) => {
      res.writeHead(code, { 'content-type': 'application/vnd.docker.plugins.v1+json' });
      res.end(JSON.stringify(o));
    };
    const h = req.method === 'POST' ? handlers[(req.url ?? '').replace(/^\//, '')] : undefined;
    if (!h) return reply(404, { Err: `unknown call ${req.method} ${req.url}` });
    let body: Record<string, unknown>;
    try {
      body = chunks.length ? (JSON.parse(Buffer.concat(chunks).toString('utf8')) as Record<string, unknown>) : {};
    } catch {
      return reply(400, { Err: 'the request body is not JSON' });
    }
    h(body).then(
      (o) => reply(200, { Err: '', ...o }),
      (err: Error) => reply(200, { Err: err.message }),
    );
  });
});

await mkdir(path.dirname(values.socket), { recursive: true });
await rm(values.socket, { force: true });
server.listen(values.socket, () => process.stderr.write(`loopfs volume plugin on ${values.socket}, volumes in ${root}\n`));
const stop = () => server.close(() => process.exit(0));
process.on('SIGTERM', stop);
process.on('SIGINT', stop);
