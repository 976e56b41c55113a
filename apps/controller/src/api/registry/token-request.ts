/**
 * The registry token endpoint's inputs, checked before use: the OAuth2
 * password grant's body (a form or a JSON object, each field given once)
 * and Basic credentials. Anything else is a 400 (or 401 for credentials)
 * naming the field, never a TypeError from reading a missing body.
 */
import { UnauthorizedException } from '@nestjs/common';
import { fieldError } from '../common/validation.js';
import { textProblem } from '../common/text-check.js';

export interface Credentials {
  username: string;
  password: string;
}
export interface PasswordGrant extends Credentials {
  service: unknown;
  scopes: string[];
}

const BODY_SHAPE = 'must be a form (application/x-www-form-urlencoded) or a JSON object with grant_type, username and password';

function once(body: Record<string, unknown>, field: string): string | undefined {
  const v = body[field];
  if (v === undefined) return undefined;
  if (typeof v !== 'string') throw fieldError(field, Array.isArray(v) ? 'must be given once' : 'must be a string');
  return v;
}

/** scopeList: a scope parameter may repeat (Docker sends one per repository). */
export function scopeList(v: unknown): string[] {
  if (v === undefined) return [];
  const all = Array.isArray(v) ? v : [v];
  if (!all.every((x): x is string => typeof x === 'string')) throw fieldError('scope', 'must be strings of the form type:name:actions');
  for (const x of all) {
    const p = textProblem(x, { allowControl: false, maxLength: 1024 });
    if (p) throw fieldError('scope', p);
  }
  return all;
}

export function parsePasswordGrant(body: unknown): PasswordGrant {
  if (body === null || typeof body !== 'object' || Array.isArray(body)) throw fieldError('body', BODY_SHAPE);
  const b = body as Record<string, unknown>;
  if (once(b, 'grant_type') !== 'password') throw fieldError('grant_type', 'must be "password" (refresh tokens are not issued)');
  const username = once(b, 'username');
  const password = once(b, 'password');
  if (username === undefined) throw fieldError('username', 'is required');
  if (password === undefined) throw fieldError('password', 'is required');
  once(b, 'client_id');
  return { username, password, service: once(b, 'service'), scopes: scopeList(b.scope) };
}

/** basicCredentials reads `Authorization: Basic ...`, or undefined when there is none (anonymous). */
export function basicCredentials(header: string | undefined): Credentials | undefined {
  if (!header) return undefined;
  const m = /^Basic\s+(\S+)$/i.exec(header);
  if (!m) throw new UnauthorizedException('the token endpoint takes Basic credentials or none');
  const raw = Buffer.from(m[1], 'base64').toString('utf8');
  const colon = raw.indexOf(':');
  if (colon < 0) throw new UnauthorizedException('malformed Basic credentials (expected base64 of user:password)');
  const username = raw.slice(0, colon);
  if (textProblem(username, { allowControl: false, maxLength: 256 })) throw new UnauthorizedException('malformed Basic credentials (the user name is not a printable string)');
  return { username, password: raw.slice(colon + 1) };
}
