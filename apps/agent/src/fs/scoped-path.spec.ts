import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdir, mkdtemp, rm, symlink } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { ScopeError, scopedPath } from './scoped-path.js';

test('symlinks resolve inside the root and never climb out of it', async () => {
  const root = await mkdtemp(path.join(tmpdir(), 'scope-'));
  try {
    await mkdir(path.join(root, 'real/dir'), { recursive: true });
    await symlink('/', path.join(root, 'app'));
    await symlink('../../../../etc', path.join(root, 'real/up'));
    await symlink('/real/dir', path.join(root, 'abs'));
    await symlink('loop', path.join(root, 'loop'));
    assert.equal(await scopedPath(root, '/app/x'), path.join(root, 'x'));
    assert.equal(await scopedPath(root, 'real/up/passwd'), path.join(root, 'etc/passwd'));
    assert.equal(await scopedPath(root, '/abs/f'), path.join(root, 'real/dir/f'));
    assert.equal(await scopedPath(root, '/../../x'), path.join(root, 'x'));
    await assert.rejects(scopedPath(root, '/loop/x'), ScopeError);
  } finally {
    await rm(root, { recursive: true, force: true });
  }
});
