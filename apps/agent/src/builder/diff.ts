/**
 * layerFromUpper turns an overlayfs upper directory — what one build step
 * changed — into an OCI layer: a tar in which overlay's whiteouts (0/0
 * character devices) become `.wh.NAME` entries and opaque directories get
 * `.wh..wh..opq`, with owners, modes, times, symlinks and hard links kept.
 * Returns the uncompressed digest (diff_id) and stores the gzip blob in the
 * content store. Entries are written in sorted order, so an unchanged tree
 * gives the same layer.
 */
import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { lstat, readdir, readlink } from 'node:fs/promises';
import { run } from '../exec/run.js';
import path from 'node:path';
import { PassThrough, Transform } from 'node:stream';
import { createGzip } from 'node:zlib';
import tar from 'tar-stream';
import type { ContentStore } from '../images/content-store.js';

export interface BuiltLayer {
  diffId: string;
  digest: string;
  size: number;
}

/** opaqueDirs lists the directories of `root` overlay marked opaque (relative paths). */
async function opaqueDirs(root: string): Promise<Set<string>> {
  const { stdout } = await run('getfattr', ['-R', '-P', '--absolute-names', '-n', 'trusted.overlay.opaque', root], { maxBuffer: 64 * 1024 * 1024 }).catch((err: { stdout?: string }) => ({
    stdout: err.stdout ?? '',
  }));
  const out = new Set<string>();
  let current = '';
  for (const line of stdout.split('\n')) {
    if (line.startsWith('# file: ')) current = line.slice(8);
    else if (/^trusted\.overlay\.opaque="y"/.test(line) && current) out.add(path.relative(root, current));
  }
  return out;
}

async function walk(root: string, rel: string, out: string[]): Promise<void> {
  for (const name of (await readdir(path.join(root, rel))).sort()) {
    const r = rel ? `${rel}/${name}` : name;
    out.push(r);
    if ((await lstat(path.join(root, r))).isDirectory()) await walk(root, r, out);
  }
}

export async function layerFromUpper(upper: string, content: ContentStore): Promise<BuiltLayer> {
  const opaque = await opaqueDirs(upper);
  const paths: string[] = [];
  await walk(upper, '', paths);
  const pack = tar.pack();
  const diffHash = createHash('sha256');
  const hashing = new Transform({
    transform(c: Buffer, _e, cb) {
      diffHash.update(c);
      cb(null, c);
    },
  });
  const gz = pack.pipe(hashing).pipe(createGzip()).pipe(new PassThrough());
  const stored = content.put(gz);
  const seen = new Map<string, string>();
  const entry = (h: Parameters<tar.Pack['entry']>[0], body?: Buffer) => new Promise<void>((resolve, reject) => pack.entry(h, body ?? Buffer.alloc(0), (err) => (err ? reject(err) : resolve())));
  for (const r of paths) {
    const full = path.join(upper, r);
    const st = await lstat(full);
    const base = { name: r, uid: st.uid, gid: st.gid, mtime: st.mtime, mode: st.mode & 0o7777 };
    if (st.isCharacterDevice() && st.rdev === 0) {
      await entry({ name: path.posix.join(path.posix.dirname(r), `.wh.${path.posix.basename(r)}`), mode: 0o644, mtime: st.mtime });
    } else if (st.isDirectory()) {
      await entry({ ...base, type: 'directory' });
      if (opaque.has(r)) await entry({ name: `${r}/.wh..wh..opq`, mode: 0o644, mtime: st.mtime });
    } else if (st.isSymbolicLink()) {
      await entry({ ...base, type: 'symlink', linkname: await readlink(full) });
    } else if (st.isFile()) {
      const key = `${st.dev}:${st.ino}`;
      const first = st.nlink > 1 ? seen.get(key) : undefined;
      if (first) {
        await entry({ ...base, type: 'link', linkname: first });
        continue;
      }
      if (st.nlink > 1) seen.set(key, r);
      await new Promise<void>((resolve, reject) => {
        const e = pack.entry({ ...base, type: 'file', size: st.size }, (err) => (err ? reject(err) : resolve()));
        createReadStream(full).on('error', reject).pipe(e);
      });
    } else if (st.isFIFO()) {
      await entry({ ...base, type: 'fifo' });
    }
    // Sockets and device nodes made by a RUN step are not kept, as Docker's builder does not.
  }
  pack.finalize();
  const { digest, size } = await stored;
  return { diffId: `sha256:${diffHash.digest('hex')}`, digest, size };
}
