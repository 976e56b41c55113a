// fs/modes specs: modes come out the same under any umask.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { chmod, mkdir, mkdtemp, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { copyOwnerAndMode, mkdirMode, writeFileMode } from './modes.js';

test('under umask 077: mkdirMode gives every directory it makes 0755 and leaves existing ones; writeFileMode gives 0644', async () => {
  const dir = await mkdtemp(path.join(tmpdir(), 'modes-'));
  const saved = process.umask(0o077);
  try {
    await mkdir(path.join(dir, 'old'));
    await chmod(path.join(dir, 'old'), 0o710);
    await mkdirMode(path.join(dir, 'old/a/b/c'));
    assert.equal((await stat(path.join(dir, 'old'))).mode & 0o7777, 0o710, 'an existing parent keeps its mode');
    for (const d of ['old/a', 'old/a/b', 'old/a/b/c']) assert.equal((await stat(path.join(dir, d))).mode & 0o7777, 0o755, d);
    await mkdirMode(path.join(dir, 'old/a/b/c')); // already there: nothing to do
    await writeFile(path.join(dir, 'f'), 'x', { mode: 0o600 });
    await writeFileMode(path.join(dir, 'f'), 'y');
    await writeFileMode(path.join(dir, 'g'), 'z');
    for (const f of ['f', 'g']) assert.equal((await stat(path.join(dir, f))).mode & 0o7777, 0o644, f);
    await mkdir(path.join(dir, 'upper'));
    await chmod(path.join(dir, 'old'), 0o751);
    await copyOwnerAndMode(path.join(dir, 'old'), path.join(dir, 'upper'));
    assert.equal((await stat(path.join(dir, 'upper'))).mode & 0o7777, 0o751);
    await copyOwnerAndMode(undefined, path.join(dir, 'upper'));
    const st = await stat(path.join(dir, 'upper'));
    assert.deepEqual([st.mode & 0o7777, st.uid, st.gid], [0o755, 0, 0]);
  } finally {
    process.umask(saved);
    await rm(dir, { recursive: true, force: true });
  }
});
