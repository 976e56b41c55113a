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
