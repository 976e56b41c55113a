/**
 * Join tokens, Swarm-style: BRTH-1-<ca sha256 hex>-<secret>. The digest pins
 * the cluster CA so a joining agent can trust the controller before it has
 * any certificate; the secret proves the agent may join.
 */
import { randomBytes } from 'node:crypto';

export const JOIN_TOKEN_PREFIX = 'BRTH-1';
const TOKEN_RE = /^BRTH-1-([a-f0-9]{64})-([a-z0-9]{32})$/;

export class InvalidJoinTokenError extends Error {
  constructor() {
    super('join token is malformed (expected BRTH-1-<64 hex>-<32 alphanumerics>)');
  }
}

export interface JoinToken {
  caDigest: string;
  secret: string;
}

/** newJoinSecret makes the random part of a token (32 lower-case alphanumerics). */
export function newJoinSecret(): string {
  const alphabet = 'abcdefghijklmnopqrstuvwxyz0123456789';
  const bytes = randomBytes(32);
  let s = '';
  for (const b of bytes) s += alphabet[b % alphabet.length];
  return s;
}

export function formatJoinToken(caDigest: string, secret: string): string {
  return `${JOIN_TOKEN_PREFIX}-${caDigest}-${secret}`;
}

export function parseJoinToken(token: string): JoinToken {
  const m = TOKEN_RE.exec(token.trim());
  if (!m) throw new InvalidJoinTokenError();
  return { caDigest: m[1], secret: m[2] };
}
