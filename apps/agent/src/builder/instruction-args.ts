/**
 * Helpers that read instruction arguments: ENV lists as maps (envMap,
 * setEnv), shell-form words honouring quotes (splitWords) and HEALTHCHECK
 * durations in nanoseconds (duration).
 */
import { DockerfileError } from './dockerfile.js';

export function envMap(env: string[] = []): Map<string, string> {
  return new Map(
    env.map((kv) => {
      const i = kv.indexOf('=');
      return i < 0 ? [kv, ''] : [kv.slice(0, i), kv.slice(i + 1)];
    }),
  );
}

export function setEnv(env: string[] = [], name: string, value: string): string[] {
  return [...env.filter((kv) => !kv.startsWith(`${name}=`)), `${name}=${value}`];
}

/** splitWords splits shell-form arguments of COPY/EXPOSE/VOLUME, honouring quotes. */
export function splitWords(s: string): string[] {
  const out: string[] = [];
  const re = /"((?:[^"\\]|\\.)*)"|'([^']*)'|(\S+)/g;
  for (let m = re.exec(s); m; m = re.exec(s)) out.push(m[1] ?? m[2] ?? m[3]);
  return out;
}

export function duration(v: string | undefined, flag: string, line: number): number | undefined {
  if (v === undefined) return undefined;
  const m = /^(\d+(?:\.\d+)?)(ms|s|m|h)$/.exec(v);
  if (!m) throw new DockerfileError(line, `--${flag}=${v}: must be a duration like 30s`);
  return Math.round(Number(m[1]) * { ms: 1e6, s: 1e9, m: 60e9, h: 3600e9 }[m[2] as 'ms']);
}
