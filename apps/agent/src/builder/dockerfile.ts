/**
 * Dockerfile parsing: the maintained `dockerfile-ast` parser (the one behind
 * VS Code's Docker support) reads the text — continuations, quoting, flags,
 * ENV/LABEL/ARG properties — and this module turns it into stages of
 * instructions with their line numbers, rejecting what Docker rejects.
 * Variable substitution happens later, during the build, with the values
 * in effect at each step.
 */
import { createRequire } from 'node:module';
import type * as Ast from 'dockerfile-ast';

const require = createRequire(import.meta.url);
const { DockerfileParser } = require('dockerfile-ast') as typeof Ast;

export class DockerfileError extends Error {
  constructor(
    readonly line: number,
    message: string,
  ) {
    super(line ? `Dockerfile line ${line}: ${message}` : `Dockerfile: ${message}`);
  }
}

export interface Instruction {
  keyword: string;
  line: number;
  /** The arguments as written (continuations joined), flags removed. */
  args: string;
  /** The exec (JSON array) form, when the arguments are one. */
  json?: string[];
  flags: Record<string, string>;
  /** NAME=value pairs of ENV, LABEL and ARG (ARG without a value: undefined). */
  props?: Array<[string, string | undefined]>;
  /** The instruction's text, for step headers and cache keys. */
  text: string;
}

export interface Stage {
  index: number;
  name?: string;
  /** The FROM argument before substitution. */
  from: string;
  fromLine: number;
  instructions: Instruction[];
}

export interface ParsedDockerfile {
  /** ARGs before the first FROM (usable in FROM lines). */
  globalArgs: Instruction[];
  stages: Stage[];
}

const KNOWN = new Set(['ADD', 'ARG', 'CMD', 'COPY', 'ENTRYPOINT', 'ENV', 'EXPOSE', 'FROM', 'HEALTHCHECK', 'LABEL', 'MAINTAINER', 'ONBUILD', 'RUN', 'SHELL', 'STOPSIGNAL', 'USER', 'VOLUME', 'WORKDIR']);
const ALLOWED_FLAGS: Record<string, string[]> = {
  FROM: ['platform'],
  COPY: ['from', 'chown', 'chmod', 'link'],
  ADD: ['chown', 'chmod', 'link', 'checksum'],
  HEALTHCHECK: ['interval', 'timeout', 'start-period', 'start-interval', 'retries'],
  RUN: [],
};

function jsonForm(args: string): string[] | undefined {
  const t = args.trim();
  if (!t.startsWith('[')) return undefined;
  try {
    const v = JSON.parse(t) as unknown;
    return Array.isArray(v) && v.every((x) => typeof x === 'string') ? v : undefined;
  } catch {
    return undefined; // Docker runs a malformed JSON array as a shell command
  }
}

function toInstruction(i: Ast.Instruction): Instruction {
  const keyword = i.getKeyword().toUpperCase();
  const line = i.getRange().start.line + 1;
  if (!KNOWN.has(keyword)) throw new DockerfileError(line, `unknown instruction: ${i.getKeyword()}`);
  const flags: Record<string, string> = {};
  const withFlags = i as unknown as { getFlags?: () => Ast.Flag[] };
  for (const f of withFlags.getFlags?.() ?? []) {
    const allowed = ALLOWED_FLAGS[keyword];
    if (!allowed?.includes(f.getName())) throw new DockerfileError(line, `unknown flag --${f.getName()} for ${keyword}`);
    flags[f.getName()] = f.getValue() ?? '';
  }
  let args = i.getArgumentsContent() ?? '';
  if (keyword === 'HEALTHCHECK' || keyword === 'ONBUILD') args = args.trim();
  const withProps = i as unknown as { getProperties?: () => Ast.Property[] };
  const props = ['ENV', 'LABEL', 'ARG'].includes(keyword) ? (withProps.getProperties?.() ?? []).map((p): [string, string | undefined] => [p.getName(), p.getValue() ?? undefined]) : undefined;
  const text = `${keyword} ${Object.entries(flags)
    .map(([k, v]) => `--${k}=${v} `)
    .join('')}${args}`.trim();
  return { keyword, line, args, json: jsonForm(args), flags, props, text };
}

export function parseDockerfile(content: string): ParsedDockerfile {
  const doc = DockerfileParser.parse(content);
  const globalArgs: Instruction[] = [];
  const stages: Stage[] = [];
  for (const raw of doc.getInstructions()) {
    const ins = toInstruction(raw);
    if (ins.keyword === 'FROM') {
      const parts = ins.args.trim().split(/\s+/).filter(Boolean);
      if (parts.length !== 1 && !(parts.length === 3 && parts[1].toUpperCase() === 'AS')) throw new DockerfileError(ins.line, 'FROM takes IMAGE [AS NAME]');
      const name = parts[2]?.toLowerCase();
      if (name && !/^[a-z][a-z0-9_.-]*$/.test(name)) throw new DockerfileError(ins.line, `invalid stage name "${parts[2]}"`);
      if (name && stages.some((s) => s.name === name)) throw new DockerfileError(ins.line, `duplicate stage name "${name}"`);
      stages.push({ index: stages.length, name, from: parts[0], fromLine: ins.line, instructions: [] });
      continue;
    }
    if (!stages.length) {
      if (ins.keyword !== 'ARG') throw new DockerfileError(ins.line, `${ins.keyword} before the first FROM (only ARG may come first)`);
      globalArgs.push(ins);
      continue;
    }
    if (ins.keyword === 'ONBUILD') throw new DockerfileError(ins.line, 'ONBUILD is not supported');
    if (!ins.args.trim() && !['HEALTHCHECK'].includes(ins.keyword)) throw new DockerfileError(ins.line, `${ins.keyword} needs arguments`);
    stages.at(-1)!.instructions.push(ins);
  }
  if (!stages.length) throw new DockerfileError(0, 'no FROM instruction');
  return { globalArgs, stages };
}

/** stagesFor returns the stages a build of `target` (default: the last) needs, in order. */
export function stagesFor(df: ParsedDockerfile, target?: string): Stage[] {
  const byName = (ref: string) => df.stages.find((s) => s.name === ref.toLowerCase() || String(s.index) === ref);
  const last = target ? byName(target) : df.stages.at(-1);
  if (!last) throw new DockerfileError(0, `target stage "${target}" not found`);
  const need = new Set<number>();
  const visit = (s: Stage) => {
    if (need.has(s.index)) return;
    need.add(s.index);
    const base = byName(s.from);
    if (base && base.index < s.index) visit(base);
    for (const i of s.instructions) {
      const from = i.flags.from;
      if (i.keyword === 'COPY' && from !== undefined) {
        const src = byName(from);
        if (src && src.index < s.index) visit(src);
      }
    }
  };
  visit(last);
  return df.stages.filter((s) => need.has(s.index));
}
