/**
 * The agent's typed errors, shared by every role (runtime, images, network,
 * volumes, worker), so none of them imports another's internals for an
 * error class. The worker turns them into task statuses (after swarmkit's
 * agent/exec/errors.go); their messages are shown to users in `service ps`.
 */
export class ImageNotFoundError extends Error {
  constructor(readonly image: string) {
    super(`image not found: ${image}`);
  }
}

export class ContainerNotFoundError extends Error {
  constructor(readonly taskId: string) {
    super(`no container for task ${taskId}`);
  }
}

/** RuntimeError wraps a failed host call (runc, conmon, CNI, mount, a volume plugin) with what it printed. */
export class RuntimeError extends Error {}

/** InvalidTaskIdError: task ids name directories and runc containers, so only [a-z0-9] is accepted. */
export class InvalidTaskIdError extends Error {
  constructor(readonly taskId: string) {
    super(`task id "${taskId.slice(0, 80)}" must be 1-64 lower-case letters and digits`);
  }
}

/** InvalidSpecError: a task and its image together do not make a runnable container (no command, unknown user). */
export class InvalidSpecError extends Error {}
