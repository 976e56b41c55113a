/**
 * packContext: the build context as `docker build` sends it — every file
 * under the context dir not excluded by its .dockerignore (Docker's own
 * matching rules, @balena/dockerignore), the Dockerfile and .dockerignore
 * always included — written as a tar to a temp file, with its sha256 and
 * size, ready to push as a registry blob.
 */
import { createHash } from 'node:crypto';
import { createReadStream, createWriteStream } from 'node:fs';
import { lstat, mkdtemp, readdir, readFile, readlink } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { pipeline } from 'node:stream/promises';
import dockerignore from '@balena/dockerignore';
import tar from 'tar-stream';

export class ContextError extends Error {}

export interface PackedContext {
  file: string;
  digest: string;
  size: number;
  files: number;
}

/** contextEntries lists the context's paths (relative, '/'-separated, sorted) that the build sees. */
export async function contextEntries(dir: string, dockerfile: string): Promise<string[]> {
  const rules = await readFile(path.join(dir, '.dockerignore'), 'utf8').catch(() => '');
  // The package is CommonJS (module.exports = factory); its typings describe an ES default export.
  const factory = dockerignore as unknown as (typeof dockerignore)['default'];
  const ig = factory().add(rules.split(/\r?\n/));
  const keep = new Set([dockerfile, '.dockerignore'].map((p) => path.posix.normalize(p)));
  const out: string[] = [];
  const walk = async (rel: string): Promise<void> => {
    const names = (await readdir(path.join(dir, rel))).sort();
    for (const name of names) {
      const r = rel ? `${rel}/${name}` : name;
      const st = await lstat(path.join(dir, r));
      // An ignored directory is still walked: a later `!pattern` may bring back what is inside.
      if (!ig.ignores(r) || keep.has(r)) out.push(r);
      if (st.isDirectory()) await walk(r);
    }
  };
  await walk('');
  return out;
}

export async function packContext(dir: string, dockerfile: string): Promise<PackedContext> {
  const st = await lstat(dir).catch(() => undefined);
  if (!st?.isDirectory()) throw new ContextError(`build context ${dir} is not a directory`);
  const rel = path.relative(dir, path.resolve(dir, dockerfile)).split(path.sep).join('/');
  if (rel.startsWith('..')) throw new ContextError(`the Dockerfile ${dockerfile} must be inside the build context`);
  if (!(await lstat(path.join(dir, rel)).catch(() => undefined))?.isFile()) throw new ContextError(`cannot find the Dockerfile: ${path.join(dir, rel)}`);
  const entries = await contextEntries(dir, rel);
  const file = path.join(await mkdtemp(path.join(tmpdir(), 'berth-context-')), 'context.tar');
  const pack = tar.pack();
  const hash = createHash('sha256');
  let size = 0;
  const written = pipeline(
    pack,
    async function* (src) {
      for await (const chunk of src as AsyncIterable<Buffer>) {
        hash.update(chunk);
        size += chunk.length;
        yield chunk;
      }
    },
    createWriteStream(file),
  );
  for (const r of entries) {
    const full = path.join(dir, r);
    const s = await lstat(full);
    const header = { name: r, mode: s.mode & 0o7777, mtime: s.mtime, uid: 0, gid: 0 };
    if (s.isDirectory()) pack.entry({ ...header, type: 'directory' });
    else if (s.isSymbolicLink()) pack.entry({ ...header, type: 'symlink', linkname: await readlink(full) });
    else if (s.isFile()) {
      await new Promise<void>((resolve, reject) => {
        const entry = pack.entry({ ...header, type: 'file', size: s.size }, (err) => (err ? reject(err) : resolve()));
        createReadStream(full).on('error', reject).pipe(entry);
      });
    }
    // Sockets, fifos and devices are not part of a build context, as with docker.
  }
  pack.finalize();
  await written;
  return { file, digest: `sha256:${hash.digest('hex')}`, size, files: entries.length };
}
