// unpackLayer specs: every kind of hostile layer is rejected whole with nothing written outside;
// whiteouts and opaque dirs, stacked with overlayfs, hide exactly what the OCI image spec says.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { chmod, mkdir, mkdtemp, readdir, readFile, readlink, rm, stat, utimes, writeFile } from 'node:fs/promises';
import { execFileSync } from 'node:child_process';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Readable } from 'node:stream';
import { gzipSync } from 'node:zlib';
import { createHash } from 'node:crypto';
import * as tar from 'tar-stream';
import { unpackLayer, UnsafeLayerError, UnsupportedLayerError, cleanName } from './unpack.js';

type Entry = { name: string; type?: tar.Header['type']; linkname?: string; body?: string; mode?: number; uid?: number; gid?: number; mtime?: Date };

async function makeTar(entries: Entry[]): Promise<Buffer> {
  const pack = tar.pack();
  for (const e of entries)
    pack.entry(
      { name: e.name, type: e.type ?? 'file', linkname: e.linkname, mode: e.mode ?? (e.type === 'directory' ? 0o755 : 0o644), uid: e.uid ?? 0, gid: e.gid ?? 0, mtime: e.mtime ?? new Date(0) },
      e.body ?? '',
    );
  pack.finalize();
  const chunks: Buffer[] = [];
  for await (const c of pack as unknown as AsyncIterable<Buffer>) chunks.push(c);
  return Buffer.concat(chunks);
}

async function withDir(fn: (dir: string) => Promise<void>): Promise<void> {
  const dir = await mkdtemp(path.join(tmpdir(), 'unpack-'));
  try {
    await fn(dir);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

test('a normal layer unpacks with files, dirs, symlinks and hardlinks, and its diff_id is the tar digest', () =>
  withDir(async (dir) => {
    const t = await makeTar([
      { name: 'bin/', type: 'directory' },
      { name: 'bin/busybox', body: 'elf', mode: 0o755 },
      { name: 'bin/sh', type: 'symlink', linkname: 'busybox' },
      { name: 'bin/ash', type: 'link', linkname: 'bin/busybox' },
    ]);
    const diffId = await unpackLayer(Readable.from([gzipSync(t)]), path.join(dir, 'l'));
    assert.equal(diffId, `sha256:${createHash('sha256').update(t).digest('hex')}`);
    assert.equal(await readFile(path.join(dir, 'l/bin/busybox'), 'utf8'), 'elf');
    assert.equal((await stat(path.join(dir, 'l/bin/busybox'))).mode & 0o777, 0o755);
    assert.equal(await readlink(path.join(dir, 'l/bin/sh')), 'busybox');
    assert.equal((await stat(path.join(dir, 'l/bin/ash'))).nlink, 2);
  }));

/**
 * Hostile layers, one per way out. `OUT` in a name or link is replaced by a directory
 * outside the layer; after the rejection that directory must still be empty.
 */
const hostile: Array<[string, Entry[]]> = [
  ['an absolute path', [{ name: '/OUT/abs', body: 'x' }]],
  ['.. traversal', [{ name: 'a/../../escape', body: 'x' }]],
  ['a leading .. component', [{ name: '../escape', body: 'x' }]],
  [
    'a write through an absolute symlink',
    [
      { name: 'evil', type: 'symlink', linkname: 'OUT' },
      { name: 'evil/owned', body: 'x' },
    ],
  ],
  [
    'a write through a relative symlink climbing out',
    [
      { name: 'up', type: 'symlink', linkname: '../../../../../../../../OUT' },
      { name: 'up/owned', body: 'x' },
    ],
  ],
  [
    'a write through a symlink deep in the path',
    [
      { name: 'd/', type: 'directory' },
      { name: 'd/s', type: 'symlink', linkname: 'OUT' },
      { name: 'd/s/sub/owned', body: 'x' },
    ],
  ],
  [
    'a write through a chain of symlinks',
    [
      { name: 'l2', type: 'symlink', linkname: 'OUT' },
      { name: 'l1', type: 'symlink', linkname: 'l2' },
      { name: 'l1/owned', body: 'x' },
    ],
  ],
  [
    'a directory created through a symlink',
    [
      { name: 'evil', type: 'symlink', linkname: 'OUT' },
      { name: 'evil/newdir/', type: 'directory' },
    ],
  ],
  ['a hardlink climbing out', [{ name: 'h', type: 'link', linkname: '../../etc/passwd' }]],
  ['a hardlink to an absolute path', [{ name: 'h', type: 'link', linkname: '/etc/passwd' }]],
  [
    'a hardlink through a symlink',
    [
      { name: 'etc', type: 'symlink', linkname: '/etc' },
      { name: 'h', type: 'link', linkname: 'etc/passwd' },
    ],
  ],
  [
    'a hardlink placed through a symlink',
    [
      { name: 'f', body: 'x' },
      { name: 'evil', type: 'symlink', linkname: 'OUT' },
      { name: 'evil/h', type: 'link', linkname: 'f' },
    ],
  ],
  [
    'a whiteout through a symlink',
    [
      { name: 'evil', type: 'symlink', linkname: 'OUT' },
      { name: 'evil/.wh.victim', body: '' },
    ],
  ],
  [
    'an opaque marker through a symlink',
    [
      { name: 'evil', type: 'symlink', linkname: 'OUT' },
      { name: 'evil/.wh..wh..opq', body: '' },
    ],
  ],
  [
    'a whiteout of ..',
    [
      { name: 'a/', type: 'directory' },
      { name: 'a/.wh...', body: '' },
    ],
  ],
  ['a block device', [{ name: 'dev/sda', type: 'block-device' }]],
  ['a character device', [{ name: 'dev/mem', type: 'character-device' }]],
];

for (const [what, entries] of hostile) {
  test(`a layer with ${what} is rejected and nothing lands outside it`, () =>
    withDir(async (dir) => {
      const out = path.join(dir, 'outside');
      await mkdir(out);
      const fix = (v?: string) => v?.replace('OUT', out.slice(v.startsWith('/') ? 1 : 0));
      const t = await makeTar(entries.map((e) => ({ ...e, name: fix(e.name)!, linkname: fix(e.linkname) })));
      await assert.rejects(unpackLayer(Readable.from([t]), path.join(dir, 'l')), UnsafeLayerError);
      assert.deepEqual(await readdir(out), []);
    }));
}

test('a hardlink to a directory is rejected', () =>
  withDir(async (dir) => {
    const t = await makeTar([
      { name: 'd/', type: 'directory' },
      { name: 'h', type: 'link', linkname: 'd' },
    ]);
    await assert.rejects(unpackLayer(Readable.from([t]), path.join(dir, 'l')), /hardlink h to directory d/);
  }));

test('a whiteout never hides an entry of its own layer, in either order', () =>
  withDir(async (dir) => {
    const t = await makeTar([
      { name: 'a', body: 'kept a' },
      { name: '.wh.a', body: '' },
      { name: '.wh.b', body: '' },
      { name: 'b', body: 'kept b' },
    ]);
    await unpackLayer(Readable.from([t]), path.join(dir, 'l'));
    assert.equal(await readFile(path.join(dir, 'l/a'), 'utf8'), 'kept a');
    assert.equal(await readFile(path.join(dir, 'l/b'), 'utf8'), 'kept b');
  }));

test('stacked as overlay lower dirs, whiteouts and opaque dirs hide exactly what the image spec says', () =>
  withDir(async (dir) => {
    const lower = await makeTar([
      { name: 'etc/', type: 'directory' },
      { name: 'etc/gone', body: 'old' },
      { name: 'etc/stays', body: 'old' },
      { name: 'var/', type: 'directory' },
      { name: 'var/old1', body: 'old' },
      { name: 'var/sub/', type: 'directory' },
      { name: 'var/sub/old2', body: 'old' },
      { name: 'dir/', type: 'directory' },
      { name: 'dir/inside', body: 'old' },
    ]);
    const upper = await makeTar([
      { name: 'etc/', type: 'directory' },
      { name: 'etc/.wh.gone', body: '' },
      { name: 'var/', type: 'directory' },
      { name: 'var/.wh..wh..opq', body: '' },
      { name: 'var/new', body: 'new' },
      { name: '.wh.dir', body: '' },
    ]);
    await unpackLayer(Readable.from([gzipSync(lower)]), path.join(dir, 'lower'));
    await unpackLayer(Readable.from([upper]), path.join(dir, 'upper'));
    const merged = path.join(dir, 'merged');
    await mkdir(merged);
    execFileSync('mount', ['-t', 'overlay', 'overlay', '-o', `lowerdir=${dir}/upper:${dir}/lower`, merged]);
    try {
      assert.deepEqual((await readdir(path.join(merged, 'etc'))).sort(), ['stays']);
      assert.deepEqual((await readdir(path.join(merged, 'var'))).sort(), ['new']);
      assert.ok(!(await readdir(merged)).includes('dir'));
    } finally {
      execFileSync('umount', [merged]);
    }
    const st = await stat(path.join(dir, 'upper/etc/gone'));
    assert.ok(st.isCharacterDevice() && st.rdev === 0, 'whiteout is a 0:0 char device');
    assert.equal(execFileSync('getfattr', ['--only-values', '-n', 'trusted.overlay.opaque', path.join(dir, 'upper/var')]).toString(), 'y');
  }));

test('reserved .wh..wh. entries other than the opaque marker are skipped', () =>
  withDir(async (dir) => {
    const t = await makeTar([
      { name: '.wh..wh.plnk/', type: 'directory' },
      { name: 'f', body: 'x' },
    ]);
    await unpackLayer(Readable.from([t]), path.join(dir, 'l'));
    assert.deepEqual(await readdir(path.join(dir, 'l')), ['f']);
  }));

test('cleanName normalises and refuses escapes', () => {
  assert.equal(cleanName('./a//b/'), 'a/b');
  assert.throws(() => cleanName('../x'), UnsafeLayerError);
});

test('owners, setuid bits and mtimes are kept', () =>
  withDir(async (dir) => {
    const when = new Date('2021-05-06T07:08:09Z');
    const t = await makeTar([
      { name: 'bin/su', body: 'x', mode: 0o4755, uid: 1000, gid: 1001, mtime: when },
      { name: 'home/', type: 'directory', mode: 0o700, uid: 1000, gid: 1000, mtime: when },
    ]);
    await unpackLayer(Readable.from([t]), path.join(dir, 'l'));
    const su = await stat(path.join(dir, 'l/bin/su'));
    assert.equal(su.mode & 0o7777, 0o4755);
    assert.deepEqual([su.uid, su.gid], [1000, 1001]);
    assert.equal(su.mtimeMs, when.getTime());
    const home = await stat(path.join(dir, 'l/home'));
    assert.equal(home.mode & 0o7777, 0o700);
    assert.equal(home.mtimeMs, when.getTime());
  }));

test('a hardlink to an escaping symlink changes nothing outside the layer', () =>
  withDir(async (dir) => {
    const victim = path.join(dir, 'victim');
    await writeFile(victim, 'keep');
    await utimes(victim, new Date(1_000_000), new Date(1_000_000));
    const t = await makeTar([
      { name: 's', type: 'symlink', linkname: victim },
      { name: 'h', type: 'link', linkname: 's', mode: 0o777, mtime: new Date() },
    ]);
    await unpackLayer(Readable.from([t]), path.join(dir, 'l'));
    const st = await stat(victim);
    assert.equal(st.mtimeMs, 1_000_000);
    assert.equal(st.mode & 0o777, 0o644);
  }));

test('a zstd layer is refused with a clear error', () =>
  withDir(async (dir) => {
    const zstd = Buffer.from([0x28, 0xb5, 0x2f, 0xfd, 0, 0, 0, 0]);
    await assert.rejects(unpackLayer(Readable.from([zstd]), path.join(dir, 'l')), UnsupportedLayerError);
  }));

test('hostile layers are refused: absolute paths, traversal, writes through symlinks, escaping hardlinks, device nodes', () =>
  withDir(async (dir) => {
    const outside = path.join(dir, 'outside');
    await writeFile(path.join(dir, 'secret'), 'secret');
    const cases: Array<[string, Entry[], RegExp]> = [
      ['absolute path', [{ name: '/etc/passwd', body: 'x' }], /absolute path/],
      ['traversal', [{ name: 'a/../../outside', body: 'x' }], /path traversal/],
      [
        'write through a symlinked dir',
        [
          { name: 'evil', type: 'symlink', linkname: dir },
          { name: 'evil/outside', body: 'x' },
        ],
        /through symlink evil/,
      ],
      [
        'write through a relative symlink',
        [
          { name: 'up', type: 'symlink', linkname: '../..' },
          { name: 'up/outside', body: 'x' },
        ],
        /through symlink up/,
      ],
      ['hardlink out of the layer', [{ name: 'h', type: 'link', linkname: '../secret' }], /path traversal/],
      [
        'hardlink through a symlink',
        [
          { name: 'd', type: 'symlink', linkname: dir },
          { name: 'h', type: 'link', linkname: 'd/secret' },
        ],
        /through symlink d/,
      ],
      ['character device', [{ name: 'dev/mem', type: 'character-device' }], /device node/],
      ['block device', [{ name: 'dev/sda', type: 'block-device' }], /device node/],
      [
        'whiteout through a symlink',
        [
          { name: 'w', type: 'symlink', linkname: dir },
          { name: 'w/.wh.secret', body: '' },
        ],
        /through symlink w/,
      ],
    ];
    for (const [what, entries, re] of cases) {
      const dest = path.join(dir, `l-${what.replace(/\W/g, '-')}`);
      await assert.rejects(unpackLayer(Readable.from([await makeTar(entries)]), dest), (e: Error) => e instanceof UnsafeLayerError && re.test(e.message), what);
      await assert.rejects(stat(outside), /ENOENT/, `${what}: nothing written outside`);
      assert.equal(await readFile(path.join(dir, 'secret'), 'utf8'), 'secret', `${what}: nothing outside changed`);
    }
  }));

test('under umask 077 a layer root and the parents a tar leaves out are 0755; a `./` entry sets the root', () =>
  withDir(async (dir) => {
    const saved = process.umask(0o077);
    try {
      const implicit = await makeTar([{ name: 'usr/local/bin/tool', body: 'x', mode: 0o755 }]);
      await unpackLayer(Readable.from([implicit]), path.join(dir, 'a'), { layerRoot: true });
      for (const d of ['a', 'a/usr', 'a/usr/local', 'a/usr/local/bin']) assert.equal((await stat(path.join(dir, d))).mode & 0o7777, 0o755, d);
      const rooted = await makeTar([
        { name: './', type: 'directory', mode: 0o750, uid: 7, gid: 8 },
        { name: 'f', body: 'y' },
      ]);
      await unpackLayer(Readable.from([rooted]), path.join(dir, 'b'), { layerRoot: true });
      const st = await stat(path.join(dir, 'b'));
      assert.deepEqual([st.mode & 0o7777, st.uid, st.gid], [0o750, 7, 8]);
      // ADD into an existing directory keeps that directory's own owner and mode.
      await mkdir(path.join(dir, 'c'));
      await chmod(path.join(dir, 'c'), 0o1777);
      await unpackLayer(Readable.from([rooted]), path.join(dir, 'c'));
      assert.equal((await stat(path.join(dir, 'c'))).mode & 0o7777, 0o1777);
    } finally {
      process.umask(saved);
    }
  }));
