/** The messages between the agent and its spawner process (exec/run.ts, exec/spawner.ts). */

export interface RunOptions {
  timeout?: number;
  cwd?: string;
  env?: NodeJS.ProcessEnv;
  /** Written to the command's stdin, which is then closed. */
  input?: string;
  maxBuffer?: number;
}

/** run: a command to completion, its output collected. */
export interface RunRequest {
  kind: 'run';
  id: number;
  cmd: string;
  args: string[];
  opts: RunOptions;
}

/**
 * detach: a command left running on its own (conmon), which answers one
 * line on fd 3 (a sync pipe) or exits; resolves with that line.
 */
export interface DetachRequest {
  kind: 'detach';
  id: number;
  cmd: string;
  args: string[];
  env: NodeJS.ProcessEnv;
  timeout: number;
}

export type SpawnRequest = RunRequest | DetachRequest;

/** The failure of a command as execFile reports it: an exit code, or an errno name such as ENOENT. */
export interface SpawnFailure {
  message: string;
  code?: number | string;
  signal?: string | null;
  killed?: boolean;
}

export interface SpawnReply {
  id: number;
  stdout: string;
  stderr: string;
  /** detach: the sync line ('' when the command exited or closed the pipe first). */
  line?: string;
  error?: SpawnFailure;
}
