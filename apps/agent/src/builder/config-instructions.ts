/**
 * Instructions that change only the image config or the stage's ARGs: ARG,
 * ENV, LABEL, MAINTAINER, CMD, ENTRYPOINT, SHELL, USER, STOPSIGNAL, EXPOSE,
 * VOLUME and HEALTHCHECK. Each records an empty-layer step (scope.meta); any
 * other keyword that reaches here is refused as unsupported.
 */
import { DockerfileError, type Instruction } from './dockerfile.js';
import type { InstructionScope, StageState, StepContext } from './build-types.js';
import { duration, envMap, setEnv, splitWords } from './instruction-args.js';

export function configInstruction(ins: Instruction, state: StageState, ctx: StepContext, { x, meta, execForm }: InstructionScope): void {
  const c = state.config;
  switch (ins.keyword) {
    case 'ARG':
      for (const [k, v] of ins.props ?? []) {
        const val = ctx.opts.buildArgs[k] ?? (v !== undefined ? x(v) : ctx.globals.get(k));
        if (val !== undefined) state.args.set(k, val);
      }
      return meta(`ARG ${ins.args}`);
    case 'ENV':
      for (const [k, v] of ins.props ?? []) c.Env = setEnv(c.Env, k, x(v ?? ''));
      return meta(`ENV ${(ins.props ?? []).map(([k]) => `${k}=${envMap(c.Env).get(k)}`).join(' ')}`);
    case 'LABEL':
      c.Labels = { ...c.Labels };
      for (const [k, v] of ins.props ?? []) c.Labels[x(k)] = x(v ?? '');
      return meta(`LABEL ${ins.args}`);
    case 'MAINTAINER':
      c.Labels = { ...c.Labels, maintainer: ins.args };
      return meta(ins.text);
    case 'CMD':
      c.Cmd = execForm(ins);
      return meta(`CMD ${JSON.stringify(c.Cmd)}`);
    case 'ENTRYPOINT':
      c.Entrypoint = execForm(ins);
      return meta(`ENTRYPOINT ${JSON.stringify(c.Entrypoint)}`);
    case 'SHELL':
      if (!ins.json?.length) throw new DockerfileError(ins.line, 'SHELL needs the JSON form, e.g. SHELL ["/bin/sh", "-c"]');
      c.Shell = ins.json;
      return meta(ins.text);
    case 'USER':
      c.User = x(ins.args.trim());
      return meta(`USER ${c.User}`);
    case 'STOPSIGNAL':
      c.StopSignal = x(ins.args.trim());
      return meta(`STOPSIGNAL ${c.StopSignal}`);
    case 'EXPOSE':
      c.ExposedPorts = { ...c.ExposedPorts };
      for (const p of splitWords(x(ins.args))) {
        if (!/^\d{1,5}(-\d{1,5})?(\/(tcp|udp|sctp))?$/.test(p)) throw new DockerfileError(ins.line, `EXPOSE ${p}: must be PORT[/PROTO]`);
        c.ExposedPorts[p.includes('/') ? p : `${p}/tcp`] = {};
      }
      return meta(`EXPOSE ${ins.args}`);
    case 'VOLUME':
      c.Volumes = { ...c.Volumes };
      for (const v of ins.json ?? splitWords(x(ins.args))) c.Volumes[v] = {};
      return meta(`VOLUME ${ins.args}`);
    case 'HEALTHCHECK': {
      const args = ins.args.trim();
      if (/^NONE$/i.test(args)) c.Healthcheck = { Test: ['NONE'] };
      else {
        const m = /^CMD\s+([\s\S]+)$/i.exec(args);
        if (!m) throw new DockerfileError(ins.line, 'HEALTHCHECK takes [OPTIONS] CMD command, or NONE');
        const json = ((): string[] | undefined => {
          try {
            const v: unknown = JSON.parse(m[1]);
            return Array.isArray(v) && v.every((x) => typeof x === 'string') ? v : undefined;
          } catch {
            return undefined;
          }
        })();
        const retries = ins.flags.retries !== undefined ? Number(ins.flags.retries) : undefined;
        if (retries !== undefined && !Number.isInteger(retries)) throw new DockerfileError(ins.line, '--retries must be an integer');
        c.Healthcheck = {
          Test: json ? ['CMD', ...json] : ['CMD-SHELL', m[1]],
          Interval: duration(ins.flags.interval, 'interval', ins.line),
          Timeout: duration(ins.flags.timeout, 'timeout', ins.line),
          StartPeriod: duration(ins.flags['start-period'], 'start-period', ins.line),
          Retries: retries,
        };
      }
      return meta(`HEALTHCHECK ${JSON.stringify(c.Healthcheck)}`);
    }
    default:
      throw new DockerfileError(ins.line, `${ins.keyword} is not supported`);
  }
}
