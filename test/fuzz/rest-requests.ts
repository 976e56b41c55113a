/**
 * requestFor builds fuzz request number i of a seeded run for one of the
 * document's operations: an odd path, query and auth header, and a body
 * that is valid-ish, mutated, of the wrong type, huge, deeply nested or
 * sent with the wrong content type or encoding. Request i depends only on
 * (seed, i), so two runs with one seed send the same requests.
 */
import { Rng } from './rng.js';
import type { Operation } from './openapi-ops.js';
import { NAME_POOL, deepJson, oddSegment, oddString, oddValue, schemaBody } from './values.js';

export interface FuzzRequest {
  op: string;
  kind: string;
  method: string;
  path: string;
  headers: Record<string, string>;
  body?: Buffer;
}

const QUERY_VALUES = ['true', 'false', '1', '0', 'all', '10', '', 'yes', '-1', '1e9', ...NAME_POOL];
const EXTRA_QUERIES = ['extra=1', 'a[b]=c', 'all=1&all=2', '__proto__=x', 'tail=1&tail=2', `q=${'x'.repeat(5000)}`, '%zz=1', 'a=%00', '&&&', '=', 'follow=true&follow=false'];

function rngFor(seed: number, i: number): Rng {
  return new Rng((Math.imul(seed ^ 0x5bd1e995, 0x9e3779b1) + Math.imul(i, 0x85ebca6b)) >>> 0);
}

function pathOf(op: Operation, rng: Rng): string {
  return op.path.replace(/\{(\w+)\}/g, () => oddSegment(rng));
}

function queryOf(op: Operation, rng: Rng): string {
  const parts: string[] = [];
  for (const q of op.queryParams) {
    if (rng.chance(0.5)) parts.push(`${q}=${rng.chance(0.7) ? encodeURIComponent(rng.pick(QUERY_VALUES)) : oddSegment(rng)}`);
  }
  if (rng.chance(0.15)) parts.push(rng.pick(EXTRA_QUERIES));
  return parts.length ? `?${parts.join('&')}` : '';
}

function authOf(token: string, rng: Rng): Record<string, string> {
  switch (rng.weighted({ valid: 75, none: 8, wrong: 7, malformed: 6, huge: 4 })) {
    case 'valid':
      return { authorization: `Bearer ${token}` };
    case 'none':
      return {};
    case 'wrong':
      return { authorization: `Bearer ${token.slice(0, -1)}x` };
    case 'malformed':
      return { authorization: rng.pick(['Bearer', 'Bearer  ', `Basic ${Buffer.from('a:b').toString('base64')}`, `Bearer ${token} x`, 'bearer%00', `Token ${token}`]) };
    default:
      return { authorization: `Bearer ${'t'.repeat(rng.pick([200, 4000, 12_000]))}` };
  }
}

const JSON_TYPE = { 'content-type': 'application/json' };

function bodyOf(op: Operation, rng: Rng): { kind: string; headers: Record<string, string>; body?: Buffer } {
  const json = (v: unknown) => Buffer.from(JSON.stringify(v));
  const kind = rng.weighted({ schema: 45, random: 10, deep: 6, huge: 4, contentType: 14, none: 8, invalid: 6, token: op.secured ? 0 : 7 });
  switch (kind) {
    case 'schema':
      return { kind, headers: JSON_TYPE, body: json(schemaBody(op.body, rng)) };
    case 'random':
      return { kind, headers: JSON_TYPE, body: json(rng.chance(0.5) ? oddValue(rng) : [oddValue(rng), { [oddString(rng)]: oddValue(rng) }]) };
    case 'deep':
      return { kind, headers: JSON_TYPE, body: Buffer.from(deepJson(rng.pick([33, 100, 1000, 10_000, 100_000]), rng)) };
    case 'huge': {
      const size = rng.pick(['over-limit', 'many-values', 'many-keys', 'long-string']);
      if (size === 'over-limit') return { kind, headers: JSON_TYPE, body: Buffer.from(`{"name":"${'x'.repeat(1_100_000)}"}`) };
      if (size === 'many-values') return { kind, headers: JSON_TYPE, body: json({ command: Array.from({ length: 20_000 }, (_, i) => i) }) };
      if (size === 'many-keys') return { kind, headers: JSON_TYPE, body: json(Object.fromEntries(Array.from({ length: 5_000 }, (_, i) => [`k${i}`, i]))) };
      return { kind, headers: JSON_TYPE, body: json({ ...(schemaBody(op.body, rng) as object), image: 'x'.repeat(500_000) }) };
    }
    case 'contentType': {
      const valid = json(schemaBody(op.body, rng));
      switch (rng.int(0, 9)) {
        case 0:
          return { kind, headers: { 'content-type': 'text/plain' }, body: valid };
        case 1:
          return {
            kind,
            headers: { 'content-type': 'application/x-www-form-urlencoded' },
            body: Buffer.from(rng.chance(0.5) ? 'a[b][c][d][e]=1&name=fuzz-a&name=fuzz-b' : Array.from({ length: 200 }, (_, i) => `k${i}=${i}`).join('&')),
          };
        case 2:
          return { kind, headers: { 'content-type': 'multipart/form-data; boundary=xyz' }, body: Buffer.from('--xyz\r\ncontent-disposition: form-data; name="a"\r\n\r\n1\r\n--xyz--') };
        case 3:
          return { kind, headers: { 'content-type': 'application/json; charset=utf-16' }, body: valid };
        case 4:
          return { kind, headers: { ...JSON_TYPE, 'content-encoding': rng.pick(['gzip', 'deflate', 'br']) }, body: valid };
        case 5:
          return { kind, headers: { ...JSON_TYPE, 'content-encoding': rng.pick(['zstd', 'x-unknown', 'gzip, gzip']) }, body: valid };
        case 6:
          return { kind, headers: { 'content-type': 'application/octet-stream' }, body: Buffer.from(Array.from({ length: 64 }, () => rng.int(0, 255))) };
        case 7:
          return { kind, headers: JSON_TYPE, body: Buffer.from([0x7b, 0x22, 0x6e, 0x61, 0x6d, 0x65, 0x22, 0x3a, 0x22, 0xff, 0xfe, 0xc0, 0xaf, 0x22, 0x7d]) };
        case 8:
          return { kind, headers: { 'content-type': rng.pick(['application/merge-patch+json', 'application/vnd.api+json', 'json', '*/*', '']) }, body: valid };
        default:
          return { kind, headers: { 'content-type': 'application/json; charset=latin1' }, body: valid };
      }
    }
    case 'invalid':
      return { kind, headers: JSON_TYPE, body: Buffer.from(rng.pick(['{', '{"a":}', "{'a':1}", '[1,]', 'nul', '"unterminated', '{"a":1}{"b":2}', '\ufeff{}', '{"a":1e999999}', '0x10', '', ' '])) };
    case 'token': {
      const form = rng.chance(0.5);
      const fields = {
        grant_type: rng.pick(['password', 'refresh_token', '']),
        username: rng.pick([...NAME_POOL, 'admin', oddString(rng)]),
        password: rng.pick(['fuzzpassword', oddString(rng)]),
        service: rng.pick(['berth-registry', 'other']),
        scope: rng.pick(['repository:fuzz-a:pull', 'repository:fuzz-a:push,pull', 'registry:catalog:*', oddString(rng)]),
      };
      if (!form) return { kind, headers: JSON_TYPE, body: json(fields) };
      return { kind, headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: Buffer.from(new URLSearchParams(fields).toString()) };
    }
    default:
      return { kind, headers: {} };
  }
}

export function requestFor(ops: Operation[], token: string, seed: number, i: number): FuzzRequest {
  const rng = rngFor(seed, i);
  const op = rng.pick(ops);
  const takesBody = ['POST', 'PUT', 'PATCH'].includes(op.method) || rng.chance(0.1);
  const b = takesBody ? bodyOf(op, rng) : { kind: 'no-body', headers: {} as Record<string, string> };
  return { op: op.id, kind: b.kind, method: op.method, path: `${pathOf(op, rng)}${queryOf(op, rng)}`, headers: { ...authOf(token, rng), ...b.headers }, body: b.body };
}
