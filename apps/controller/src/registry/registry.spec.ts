import { test } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { mkdtemp, readFile, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { hashPassword, verifyPassword } from './passwords.js';
import { SecretBox, SecretKeyError } from './secret-box.js';

test('password hashes verify only the right password and never hold it', async () => {
  const h = await hashPassword('s3cret-pass');
  assert.ok(!h.includes('s3cret-pass'));
  assert.ok(await verifyPassword('s3cret-pass', h));
  assert.ok(!(await verifyPassword('s3cret-pasS', h)));
  assert.notEqual(await hashPassword('s3cret-pass'), h, 'salted');
  assert.ok(!(await verifyPassword('x', 'garbage')));
});

test('secret box: sealed text opens with the same key only; the key file is created 0600 once', async () => {
  const dir = await mkdtemp(path.join(tmpdir(), 'berth-secret-'));
  try {
    const file = path.join(dir, 'sub', 'secret.key');
    const a = await SecretBox.open(file);
    assert.equal((await stat(file)).mode & 0o777, 0o600);
    const key = await readFile(file, 'utf8');
    const b = await SecretBox.open(file);
    assert.equal(await readFile(file, 'utf8'), key, 'an existing key is kept');
    const sealed = a.seal('hunter2');
    assert.ok(!sealed.includes('hunter2'));
    assert.equal(b.open(sealed), 'hunter2');
    assert.throws(() => SecretBox.fromKey(randomBytes(32)).open(sealed), SecretKeyError);
    const [v, iv, tag, body] = sealed.split(':');
    const flipped = Buffer.from(body, 'base64');
    flipped[0] ^= 1;
    assert.throws(() => a.open([v, iv, tag, flipped.toString('base64')].join(':')), SecretKeyError, 'tampering is detected');
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});
