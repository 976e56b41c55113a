/**
 * Seeded randomness and the pools of hostile values the registry fuzzer
 * draws from: digests (valid, unknown, traversal, wrong algorithm, wrong
 * case and length, NUL, unicode, overlong), repository names, tags, Range
 * and Content-Range headers, and JSON documents nested or sized to hurt.
 * Pure: no IO; the same seed gives the same values.
 */
import { createHash } from 'node:crypto';

/** CANARY: the file name traversal probes aim at; it must never appear anywhere. */
export const CANARY = 'berth-fuzz-canary';

export interface Rng {
  float(): number;
  int(n: number): number;
  chance(p: number): boolean;
  pick<T>(items: readonly T[]): T;
  hex(n: number): string;
  bytes(n: number): Buffer;
}

/** rng: mulberry32, small and good enough for picking cases reproducibly. */
export function rng(seed: number): Rng {
  let a = seed >>> 0;
  const float = () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  const int = (n: number) => Math.floor(float() * n);
  const bytes = (n: number) => {
    const b = Buffer.alloc(n);
    for (let i = 0; i < n; i++) b[i] = int(256);
    return b;
  };
  return {
    float,
    int,
    bytes,
    chance: (p) => float() < p,
    pick: (items) => items[int(items.length)],
    hex: (n) => Array.from({ length: n }, () => '0123456789abcdef'[int(16)]).join(''),
  };
}

export const sha256 = (b: Buffer | string) => `sha256:${createHash('sha256').update(b).digest('hex')}`;

/** digest: a value for a digest slot, as it goes into a URL (already percent-encoded where needed). */
export function digest(r: Rng, known: string[]): string {
  const hex = r.hex(64);
  if (r.chance(0.35)) return r.pick(known);
  if (r.chance(0.1)) return `sha256:${hex}`;
  return r.pick([
    () => `sha256:../../../../../../${CANARY}`,
    () => `sha256:..%2F..%2F..%2F..%2F${CANARY}`,
    () => 'sha256:../../../../../../../../..',
    () => `sha256:${hex.toUpperCase()}`,
    () => `sha256:${hex.slice(1)}`,
    () => `sha256:${hex}0`,
    () => `sha512:${r.hex(128)}`,
    () => `sha384:${r.hex(96)}`,
    () => `md5:${r.hex(32)}`,
    () => '',
    () => 'sha256:',
    () => ':',
    () => `sha256:${hex}%00`,
    () => `%00sha256:${hex}`,
    () => `sha256:${encodeURIComponent('é'.repeat(64))}`,
    () => `sha256:${'a'.repeat(r.pick([100, 5000]))}`,
    () => `sha256%3A${hex}`,
    () => `sha256:${hex}%2F..`,
    () => '..',
    () => `${hex}`,
    () => `sha256:${hex}+x`,
  ])();
}

/** name: a repository name for the URL path. */
export function name(r: Rng, known: string[]): string {
  if (r.chance(0.6)) return r.pick(known);
  if (r.chance(0.2)) return `fuzz/r${r.int(5)}`;
  return r.pick([
    () => '..',
    () => `fuzz/%2e%2e/${CANARY}`,
    () => 'a%00b',
    () => 'UPPER/case',
    () => encodeURIComponent('ünïcødé/репо'),
    () => 'a'.repeat(r.pick([255, 256, 4000])),
    () => `${'a/'.repeat(120)}b`,
    () => 'a//b',
    () => '-a',
    () => 'a_',
    () => 'a%2Fb',
    () => '_catalog',
    () => 'a/_manifests',
    () => 'a/_layers',
    () => encodeURIComponent('🐳'),
    () => '%20',
    () => '.',
  ])();
}

/** tag: a manifest reference that is not a digest. */
export function tag(r: Rng, known: string[]): string {
  if (known.length && r.chance(0.4)) return r.pick(known);
  if (r.chance(0.3)) return `t${r.int(20)}`;
  return r.pick([
    () => `v1.tmp-${r.hex(8)}`,
    () => '..',
    () => '.hidden',
    () => 'a'.repeat(r.pick([128, 129, 3000])),
    () => 'a%00b',
    () => 'ta%20g',
    () => encodeURIComponent('tägé'),
    () => '-x',
    () => `%2e%2e%2f${CANARY}`,
  ])();
}

/** range: a Range header for a blob GET. */
export function range(r: Rng): string {
  return r.pick([
    'bytes=0-',
    'bytes=0-0',
    'bytes=5-2',
    'bytes=-5',
    'bytes=0-99999999999999999999',
    'bytes=99999999999999999999-',
    'bytes=0-1,3-4',
    'items=0-1',
    'bytes=',
    'bytes=a-b',
    '0-10',
    'bytes= 0-1',
    `bytes=${r.int(2000)}-${r.int(2000)}`,
    'bytes=1-1',
  ]);
}

/** contentRange: a chunk's Content-Range given the upload's current size and the chunk length. */
export function contentRange(r: Rng, size: number, len: number): string | undefined {
  return r.pick([
    () => undefined,
    () => `${size}-${size + len - 1}`,
    () => `${size}-${size + len - 1}`,
    () => `${Math.max(0, size - 1)}-${size + len - 2}`,
    () => `${size + 1}-${size + len}`,
    () => `0-${len - 1}`,
    () => `${size}-${size + len + 5}`,
    () => `${size + len}-${size}`,
    () => 'garbage',
    () => `bytes ${size}-${size + len - 1}`,
    () => `${size}-`,
    () => `-${len}`,
    () => '99999999999999999999-99999999999999999999',
  ])();
}

/** nested: JSON nested `depth` deep, arrays or objects. */
export function nested(depth: number, kind: 'array' | 'object'): string {
  return kind === 'array' ? `${'['.repeat(depth)}${']'.repeat(depth)}` : `${'{"a":'.repeat(depth)}1${'}'.repeat(depth)}`;
}
