// Tests for libs/pki: CA creation, CSR signing, digests and join tokens.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { X509Certificate } from 'node:crypto';
import {
  createCA,
  createCSR,
  generateKeyPair,
  signCSR,
  issueKeyAndCert,
  certDigest,
  certCommonName,
  verifySignedBy,
  formatJoinToken,
  parseJoinToken,
  newJoinSecret,
  InvalidJoinTokenError,
  InvalidCsrError,
} from './index.js';

test('a CSR signed by the CA yields a client cert whose CN is chosen by the CA', async () => {
  const ca = await createCA();
  const { privateKeyPem } = await generateKeyPair();
  const csr = await createCSR(privateKeyPem, 'whatever-the-agent-asks');
  const { certPem, serial } = await signCSR(ca, csr, { commonName: 'node123', usage: 'client' });
  assert.equal(certCommonName(certPem), 'node123');
  assert.ok(verifySignedBy(certPem, ca.certPem));
  assert.match(serial, /^[0-9a-f]{32}$/);
  const other = await createCA();
  assert.equal(verifySignedBy(certPem, other.certPem), false);
  assert.ok(new X509Certificate(certPem).checkPrivateKey(await import('node:crypto').then((c) => c.createPrivateKey(privateKeyPem))));
});

test('a server cert carries its IP and DNS alt names', async () => {
  const ca = await createCA();
  const s = await issueKeyAndCert(ca, { commonName: 'controller', altNames: ['127.0.0.1', 'localhost'], usage: 'server' });
  const x = new X509Certificate(s.certPem);
  assert.ok(x.checkIP('127.0.0.1'));
  assert.ok(x.checkHost('localhost'));
  assert.ok(verifySignedBy(s.certPem, ca.certPem));
});

test('a garbage CSR is rejected', async () => {
  const ca = await createCA();
  await assert.rejects(signCSR(ca, 'not a csr', { commonName: 'x', usage: 'client' }), InvalidCsrError);
});

test('join tokens round-trip and reject malformed input', async () => {
  const ca = await createCA();
  const digest = certDigest(ca.certPem);
  assert.match(digest, /^[0-9a-f]{64}$/);
  const secret = newJoinSecret();
  const t = formatJoinToken(digest, secret);
  assert.deepEqual(parseJoinToken(t), { caDigest: digest, secret });
  for (const bad of ['', 'BRTH-1-abc-def', t.replace('BRTH-1', 'SWMTKN-1'), `${t}x`]) {
    assert.throws(() => parseJoinToken(bad), InvalidJoinTokenError);
  }
});
