/**
 * libs/common: the few pure helpers the controller, agent and CLI truly share
 * (task states, image references, network drivers). No IO lives here.
 */
export * from './task-state.js';
export * from './image-ref.js';
export * from './build-context.js';
export * from './cidr.js';
export * from './ports.js';
export * from './attachments.js';
export * from './networks.js';
export * from './mounts.js';
export { watchLoopLag } from './loop-lag.js';
export { MAIN_THREAD_NICE, raiseMainThread } from './priority.js';
export * from './run-options.js';
