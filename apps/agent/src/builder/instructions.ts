/**
 * applyInstruction runs one instruction of a stage. It binds the
 * instruction's scope (variables expanded with the ARG and ENV values in
 * effect, config-only steps recorded, the exec form under the stage's SHELL),
 * then hands WORKDIR, RUN, COPY and ADD to the layer instructions and every
 * other keyword to configInstruction.
 */
import { DockerfileError, type Instruction } from './dockerfile.js';
import { expand } from './expand.js';
import { sha, type InstructionScope, type StageState, type StepContext } from './build-types.js';
import { envMap } from './instruction-args.js';
import { configInstruction } from './config-instructions.js';
import { copyInstruction, runInstruction, workdirInstruction } from './layer-instructions.js';

const DEFAULT_SHELL = ['/bin/sh', '-c'];

function vars(state: StageState): Map<string, string> {
  return new Map([...state.args, ...envMap(state.config.Env)]);
}

export async function applyInstruction(ins: Instruction, state: StageState, ctx: StepContext): Promise<void> {
  const x = (s: string) => {
    try {
      return expand(s, vars(state));
    } catch (err) {
      throw new DockerfileError(ins.line, (err as Error).message);
    }
  };
  const c = state.config;
  const meta = (desc: string) => {
    state.key = sha(`${state.key}\n${desc}`);
    state.history.push({ created: new Date().toISOString(), created_by: desc, empty_layer: true });
  };
  const execForm = (i: Instruction) => i.json ?? [...(c.Shell ?? DEFAULT_SHELL), i.args];
  const scope: InstructionScope = { x, meta, execForm };
  switch (ins.keyword) {
    case 'WORKDIR':
      return workdirInstruction(ins, state, ctx, scope);
    case 'RUN':
      return runInstruction(ins, state, ctx, scope);
    case 'COPY':
    case 'ADD':
      return copyInstruction(ins, state, ctx, scope);
    default:
      return configInstruction(ins, state, ctx, scope);
  }
}
