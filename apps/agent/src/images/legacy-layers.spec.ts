// adoptLegacyLayers specs: an older agent's layers get a 0755 root and a verified marker, once; later ones are left alone.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { chmod, mkdir, mkdtemp, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { adoptLegacyLayers } from './legacy-layers.js';
import { LayerStore } from './layer-store.js';

test('layers of an older agent get root:root 0755 and a verified marker, once', async () => {
  const state = await mkdtemp(path.join(tmpdir(), 'layer-roots-'));
  try {
    const old = path.join(state, 'layers', 'a'.repeat(64));
    const tmp = path.join(state, 'layers', '.tmp-x');
    await mkdir(old, { recursive: true });
    await mkdir(tmp);
    for (const d of [old, tmp]) await chmod(d, 0o700);
    await adoptLegacyLayers(state);
    assert.equal((await stat(old)).mode & 0o7777, 0o755);
    assert.equal((await stat(tmp)).mode & 0o7777, 0o700, 'not a layer: left alone');
    assert.equal(await new LayerStore(state).has(`sha256:${'a'.repeat(64)}`), true, 'adopted as verified, not unpacked again under live containers');
    // A layer unpacked after the repair keeps the root its tar gave it.
    await chmod(old, 0o750);
    await adoptLegacyLayers(state);
    assert.equal((await stat(old)).mode & 0o7777, 0o750);
  } finally {
    await rm(state, { recursive: true, force: true });
  }
});

test('a state dir with no layers yet is marked, so its first layers are never touched', async () => {
  const state = await mkdtemp(path.join(tmpdir(), 'layer-roots-'));
  try {
    await adoptLegacyLayers(state);
    const layer = path.join(state, 'layers', 'b'.repeat(64));
    await mkdir(layer, { recursive: true });
    await chmod(layer, 0o750);
    await adoptLegacyLayers(state);
    assert.equal((await stat(layer)).mode & 0o7777, 0o750);
  } finally {
    await rm(state, { recursive: true, force: true });
  }
});
