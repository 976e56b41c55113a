/**
 * Registry bearer tokens: compact JWS (ES256) with the claims of Docker's
 * token specification (iss, sub, aud, exp, nbf, iat, jti, access). The
 * controller signs them at its token endpoint; the registry verifies them
 * with the controller's public keys (JWKS). WebCrypto ECDSA signatures are
 * already JWS's raw r||s form.
 */
import { randomBytes, webcrypto } from 'node:crypto';
import type { Access } from './scope.js';

const subtle = webcrypto.subtle;
type CryptoKey = webcrypto.CryptoKey;
const ALG = { name: 'ECDSA', namedCurve: 'P-256' } as const;
const SIGN = { name: 'ECDSA', hash: 'SHA-256' } as const;
/** CLOCK_SKEW_S: how far apart the controller's and the registry's clocks may be. */
const CLOCK_SKEW_S = 60;

export interface TokenClaims {
  iss: string;
  sub: string;
  aud: string;
  exp: number;
  nbf: number;
  iat: number;
  jti: string;
  access: Access[];
}

export interface Jwk {
  kty: 'EC';
  crv: 'P-256';
  x: string;
  y: string;
  kid: string;
  alg: 'ES256';
  use: 'sig';
}

export class TokenError extends Error {}

const b64u = (b: Uint8Array | Buffer | string) => Buffer.from(b).toString('base64url');

/** signToken issues a token for `access`, valid `ttlS` seconds from now. */
export async function signToken(key: CryptoKey, kid: string, c: { iss: string; sub: string; aud: string; ttlS: number; access: Access[] }): Promise<{ token: string; claims: TokenClaims }> {
  const now = Math.floor(Date.now() / 1000);
  const claims: TokenClaims = { iss: c.iss, sub: c.sub, aud: c.aud, exp: now + c.ttlS, nbf: now - 1, iat: now, jti: randomBytes(12).toString('hex'), access: c.access };
  const head = b64u(JSON.stringify({ alg: 'ES256', typ: 'JWT', kid }));
  const body = b64u(JSON.stringify(claims));
  const sig = await subtle.sign(SIGN, key, Buffer.from(`${head}.${body}`));
  return { token: `${head}.${body}.${b64u(new Uint8Array(sig))}`, claims };
}

/**
 * verifyToken checks signature, issuer, audience and time; `keyFor` finds
 * the public key of a kid (undefined: unknown key). Throws TokenError.
 */
export async function verifyToken(token: string, keyFor: (kid: string) => Promise<CryptoKey | undefined>, want: { iss: string; aud: string }): Promise<TokenClaims> {
  const parts = token.split('.');
  if (parts.length !== 3) throw new TokenError('malformed token');
  let head: { alg?: string; kid?: string };
  let claims: TokenClaims;
  try {
    head = JSON.parse(Buffer.from(parts[0], 'base64url').toString('utf8')) as typeof head;
    claims = JSON.parse(Buffer.from(parts[1], 'base64url').toString('utf8')) as TokenClaims;
  } catch {
    throw new TokenError('malformed token');
  }
  if (head.alg !== 'ES256' || !head.kid) throw new TokenError('unsupported token algorithm');
  const key = await keyFor(head.kid);
  if (!key) throw new TokenError(`unknown signing key ${head.kid}`);
  const ok = await subtle.verify(SIGN, key, Buffer.from(parts[2], 'base64url'), Buffer.from(`${parts[0]}.${parts[1]}`));
  if (!ok) throw new TokenError('bad token signature');
  const now = Math.floor(Date.now() / 1000);
  if (claims.iss !== want.iss) throw new TokenError('token from another issuer');
  const aud = Array.isArray(claims.aud) ? (claims.aud as string[]) : [claims.aud];
  if (!aud.includes(want.aud)) throw new TokenError('token for another service');
  if (typeof claims.exp !== 'number' || claims.exp + CLOCK_SKEW_S < now) throw new TokenError('token expired');
  if (typeof claims.nbf === 'number' && claims.nbf - CLOCK_SKEW_S > now) throw new TokenError('token not yet valid');
  if (!Array.isArray(claims.access)) claims.access = [];
  return claims;
}

/** newSigningKey makes a P-256 key pair and its kid (a digest of the public key, as JWK thumbprints are). */
export async function newSigningKey(): Promise<{ privateKey: CryptoKey; publicKey: CryptoKey; kid: string }> {
  const keys = await subtle.generateKey(ALG, true, ['sign', 'verify']);
  return { ...keys, kid: await keyId(keys.publicKey) };
}

export async function keyId(publicKey: CryptoKey): Promise<string> {
  const jwk = await subtle.exportKey('jwk', publicKey);
  // RFC 7638 thumbprint: the required members in lexical order.
  const canon = JSON.stringify({ crv: jwk.crv, kty: jwk.kty, x: jwk.x, y: jwk.y });
  return b64u(new Uint8Array(await subtle.digest('SHA-256', Buffer.from(canon))));
}

export async function toJwk(publicKey: CryptoKey): Promise<Jwk> {
  const jwk = await subtle.exportKey('jwk', publicKey);
  return { kty: 'EC', crv: 'P-256', x: jwk.x!, y: jwk.y!, kid: await keyId(publicKey), alg: 'ES256', use: 'sig' };
}

export async function fromJwk(jwk: Jwk): Promise<CryptoKey> {
  if (jwk.kty !== 'EC' || jwk.crv !== 'P-256') throw new TokenError('only EC P-256 keys are supported');
  return subtle.importKey('jwk', { kty: 'EC', crv: 'P-256', x: jwk.x, y: jwk.y, ext: true }, ALG, true, ['verify']);
}

/** exportSigningKey encodes a private key for storage (PKCS#8, base64). */
export async function exportSigningKey(privateKey: CryptoKey): Promise<string> {
  return Buffer.from(await subtle.exportKey('pkcs8', privateKey)).toString('base64');
}

/** importSigningKey reads a stored private key back, with its public half and kid. */
export async function importSigningKey(pkcs8: string): Promise<{ privateKey: CryptoKey; publicKey: CryptoKey; kid: string }> {
  const privateKey = await subtle.importKey('pkcs8', Buffer.from(pkcs8, 'base64'), ALG, true, ['sign']);
  const jwk = await subtle.exportKey('jwk', privateKey);
  const publicKey = await subtle.importKey('jwk', { kty: 'EC', crv: 'P-256', x: jwk.x, y: jwk.y, ext: true }, ALG, true, ['verify']);
  return { privateKey, publicKey, kid: await keyId(publicKey) };
}
