/**
 * Value generators of the REST fuzzer: odd path segments (already
 * percent-encoded, sent as they are), odd strings for queries and bodies,
 * and bodies built from a schema, valid or with a few mutations. Valid
 * names come from a small pool and valid numbers are small, so a run
 * creates a bounded set of objects however long it is.
 */
import type { Rng } from './rng.js';
import type { Schema } from './openapi-ops.js';

/** NAME_POOL: every valid name the fuzzer uses; creations collide instead of piling up. */
export const NAME_POOL = ['fuzz-a', 'fuzz-b', 'fuzz-c', 'web'];

const HEX64 = 'a'.repeat(64);
/** Candidates for a string field: the first that fits the field's pattern and lengths is used. */
const VALID_CANDIDATES = [...NAME_POOL, 'busybox', 'busybox:latest', 'A=1', '80', '8080:80/tcp', `sha256:${HEX64}`, 'fuzzpassword', 'c1', '10.99.0.0/24', '10.99.0.1'];

/** Path segments, percent-encoded as they go on the wire. */
const ODD_SEGMENTS = [
  '%00',
  'a%00b',
  '%01',
  'a%0Ab',
  '%0D%0A',
  '%7F',
  '%C2%85',
  '%09',
  '%20',
  'a%20b',
  '..',
  '.',
  '%2E%2E',
  '..%2F..%2Fetc%2Fpasswd',
  '%2F',
  '%5C..%5C',
  '%252e%252e',
  '....%2F%2F',
  '%C3%BCn%C3%AF',
  '%E5%90%8D%E5%89%8D',
  '%F0%9F%98%80',
  '%E2%80%AE',
  'a%E2%80%8Bb',
  '%EF%BB%BF',
  '%',
  '%zz',
  '%ff',
  '%C0%AF',
  '%ED%A0%80',
  '%F4%90%80%80',
  '%E2%82',
  '0',
  '-1',
  '1e309',
  'NaN',
  'null',
  'undefined',
  'true',
  '%27%20OR%201%3D1--',
  '%24%7B7*7%7D',
  '%3Cscript%3E',
  `sha256:${HEX64}`,
  'library%2Fbusybox',
  'a:b',
  '~',
  '*',
];

/** Odd strings as JS values (JSON-encoded later, so lone surrogates become \ud800 escapes). */
const ODD_STRINGS = [
  '',
  ' ',
  '\0',
  'a\0b',
  '\u0001',
  '\n',
  '\r\n',
  '\u007f',
  '\u0085',
  '\ud800',
  '\udc00',
  'a\udfffb',
  '\ufeff',
  '\u202e',
  '\u200b',
  'ünï',
  '名前',
  '😀',
  '..',
  '../../etc/passwd',
  '/',
  '\\',
  '%00',
  '%zz',
  '-1',
  'NaN',
  'null',
  'true',
  '__proto__',
  'constructor',
  "' OR 1=1--",
  '${7*7}',
  '{{7*7}}',
  '<script>',
  'a b',
  'A==',
  '=',
  ':',
  'a:b:c',
  'sha256:',
  'sha256:zz',
  '10.0.0.0/33',
  '999.1.1.1',
];

export function oddSegment(rng: Rng): string {
  const r = rng.next();
  if (r < 0.15) return rng.pick(NAME_POOL);
  if (r < 0.22) return 'a'.repeat(rng.pick([129, 256, 513, 600, 4000]));
  if (r < 0.27) return encodeURIComponent(rng.pick(['ü', '😀', 'x']).repeat(rng.int(100, 400)));
  return rng.pick(ODD_SEGMENTS);
}

export function oddString(rng: Rng): string {
  const r = rng.next();
  if (r < 0.05) return 'x'.repeat(rng.pick([256, 4097, 70_000]));
  if (r < 0.1) return rng.pick(NAME_POOL) + rng.pick(ODD_STRINGS);
  return rng.pick(ODD_STRINGS);
}

/** oddValue: any JSON value, shallow. */
export function oddValue(rng: Rng): unknown {
  switch (rng.int(0, 11)) {
    case 0:
      return null;
    case 1:
      return rng.chance(0.5);
    case 2:
      return rng.pick([0, -1, 1.5, 1e308, -1e308, 2 ** 53 + 1, 10001, -0]);
    case 3:
      return [];
    case 4:
      return {};
    case 5:
      return [oddString(rng), 1, null];
    case 6:
      return { [oddString(rng)]: oddString(rng) };
    case 7:
      return rng.pick(NAME_POOL);
    default:
      return oddString(rng);
  }
}

function validString(s: Schema, rng: Rng): string {
  const re = s.pattern ? new RegExp(s.pattern) : undefined;
  const fits = VALID_CANDIDATES.filter((c) => (!re || re.test(c)) && c.length >= (s.minLength ?? 0) && c.length <= (s.maxLength ?? Infinity));
  return fits.length ? rng.pick(fits) : rng.pick(NAME_POOL);
}

/** validValue: a value meant to pass the schema (may not, if a pattern is unusual; that is fine). */
export function validValue(s: Schema | undefined, rng: Rng, depth = 0): unknown {
  if (!s || depth > 6) return rng.pick(NAME_POOL);
  if (s.enum) return rng.pick(s.enum);
  switch (s.type) {
    case 'integer':
    case 'number': {
      const min = s.minimum ?? 0;
      return min + rng.int(0, 2); // small on purpose: replicas stay few
    }
    case 'boolean':
      return rng.chance(0.5);
    case 'array':
      return Array.from({ length: rng.int(0, Math.min(2, s.maxItems ?? 2)) }, () => validValue(s.items, rng, depth + 1));
    case 'object': {
      if (!s.properties) return rng.chance(0.5) ? {} : { [rng.pick(['a', 'type', 'source', 'target'])]: rng.pick(['b', 'volume', 'fuzz-a', '/data']) };
      const out: Record<string, unknown> = {};
      for (const [k, p] of Object.entries(s.properties)) if ((s.required ?? []).includes(k) || rng.chance(0.5)) out[k] = validValue(p, rng, depth + 1);
      return out;
    }
    default:
      return validString(s, rng);
  }
}

/** wrongValue: a value of the wrong type or out of the schema's bounds. */
export function wrongValue(s: Schema | undefined, rng: Rng): unknown {
  const r = rng.next();
  if (s?.type === 'integer' && r < 0.4) return rng.pick([-1, (s.maximum ?? 1e9) + 1, 1.5, '3', 1e300, Number.MAX_SAFE_INTEGER + 2]);
  if (s?.type === 'string' && r < 0.4) return oddString(rng);
  if (s?.type === 'array' && r < 0.4) return rng.chance(0.5) ? Array.from({ length: (s.maxItems ?? 8) + 1 }, () => validValue(s.items, rng)) : [oddValue(rng)];
  return oddValue(rng);
}

/** schemaBody: an object for `s`, then 0 to 3 mutations (wrong type, null, missing required, extra field). */
export function schemaBody(s: Schema | undefined, rng: Rng): unknown {
  const body = validValue(s?.type === 'object' ? s : { type: 'object', properties: {} }, rng) as Record<string, unknown>;
  const props = Object.entries(s?.properties ?? {});
  for (let i = rng.int(0, 3); i > 0; i--) {
    const kind = rng.int(0, 4);
    if (kind <= 1 && props.length) {
      const [k, p] = rng.pick(props);
      body[k] = kind === 0 ? wrongValue(p, rng) : null;
    } else if (kind === 2 && s?.required?.length) delete body[rng.pick(s.required)];
    else if (kind === 3) body[rng.pick(['extra', '__proto__', 'constructor', oddString(rng) || 'k'])] = oddValue(rng);
    else if (props.length) {
      const [k, p] = rng.pick(props);
      if (p.type === 'array') body[k] = [validValue(p.items, rng), wrongValue(p.items, rng)];
      else if (p.type === 'object' || p.items?.type === 'object') body[k] = p.type === 'array' ? [{ [oddString(rng)]: oddValue(rng) }] : { [oddString(rng)]: oddValue(rng) };
    }
  }
  // An optional name left out (or null) makes the API invent one: every such request would add an object.
  if (s?.properties?.name && !(s.required ?? []).includes('name') && (body.name === undefined || body.name === null)) body.name = rng.pick(NAME_POOL);
  return body;
}

/** deepJson: text nesting `depth` arrays or objects (built as text: the generator must not recurse either). */
export function deepJson(depth: number, rng: Rng): string {
  return rng.chance(0.5) ? `${'['.repeat(depth)}1${']'.repeat(depth)}` : `${'{"a":'.repeat(depth)}1${'}'.repeat(depth)}`;
}
