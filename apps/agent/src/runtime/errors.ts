/**
 * Typed runtime errors the worker turns into task statuses (after swarmkit's
 * agent/exec/errors.go). Their messages are shown to users in `service ps`.
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

/** RuntimeError wraps a failed runc/conmon/CNI call with what it printed. */
export class RuntimeError extends Error {}

/** InvalidTaskIdError: task ids name directories and runc containers, so only [a-z0-9] is accepted. */
export class InvalidTaskIdError extends Error {
  constructor(readonly taskId: string) {
    super(`task id "${taskId.slice(0, 80)}" must be 1-64 lower-case letters and digits`);
  }
}
