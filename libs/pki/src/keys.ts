/**
 * ECDSA P-256 key pairs and their PEM (PKCS#8 / SPKI) encodings.
 */
import 'reflect-metadata';
import { webcrypto } from 'node:crypto';
import * as x509 from '@peculiar/x509';

type CryptoKeyPair = webcrypto.CryptoKeyPair;

// @peculiar/x509 signs through WebCrypto; hand it Node's implementation.
x509.cryptoProvider.set(webcrypto as unknown as Parameters<typeof x509.cryptoProvider.set>[0]);

export const KEY_ALGORITHM = { name: 'ECDSA', namedCurve: 'P-256' } as const;
export const SIGNING_ALGORITHM = { name: 'ECDSA', hash: 'SHA-256' } as const;

const subtle = webcrypto.subtle;

export type { CryptoKeyPair };

export interface KeyPairPem {
  privateKeyPem: string;
  keys: CryptoKeyPair;
}

function toPem(der: ArrayBuffer, label: string): string {
  const b64 = Buffer.from(der)
    .toString('base64')
    .replace(/(.{64})/g, '$1\n')
    .replace(/\n$/, '');
  return `-----BEGIN ${label}-----\n${b64}\n-----END ${label}-----\n`;
}

function fromPem(pem: string, label: string): Buffer {
  const m = new RegExp(`-----BEGIN ${label}-----([\\s\\S]+?)-----END ${label}-----`).exec(pem);
  if (!m) throw new Error(`not a PEM ${label.toLowerCase()}`);
  return Buffer.from(m[1].replace(/\s+/g, ''), 'base64');
}

/** generateKeyPair makes a new extractable P-256 key pair. */
export async function generateKeyPair(): Promise<KeyPairPem> {
  const keys = await subtle.generateKey(KEY_ALGORITHM, true, ['sign', 'verify']);
  const der = await subtle.exportKey('pkcs8', keys.privateKey);
  return { privateKeyPem: toPem(der, 'PRIVATE KEY'), keys };
}

/** importKeyPair loads a PKCS#8 PEM private key and derives its public key. */
export async function importKeyPair(privateKeyPem: string): Promise<CryptoKeyPair> {
  const der = fromPem(privateKeyPem, 'PRIVATE KEY');
  const privateKey = await subtle.importKey('pkcs8', der, KEY_ALGORITHM, true, ['sign']);
  const jwk = await subtle.exportKey('jwk', privateKey);
  delete jwk.d;
  jwk.key_ops = ['verify'];
  const publicKey = await subtle.importKey('jwk', jwk, KEY_ALGORITHM, true, ['verify']);
  return { privateKey, publicKey };
}
