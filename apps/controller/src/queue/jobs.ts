/**
 * The typed job registry (immich's JobName + JobOf shape): every BullMQ job
 * the controller runs, its queue and its payload. The orchestrator queue
 * carries reconciles and the periodic checks; the scheduler queue carries
 * one coalesced schedule job at a time (see JobQueue.schedule).
 */
export enum QueueName {
  Orchestrator = 'orchestrator',
  Scheduler = 'scheduler',
}

export enum JobName {
  ServiceReconcile = 'service-reconcile',
  ReconcileAll = 'reconcile-all',
  NodeHealth = 'node-health',
  Schedule = 'schedule',
}

export interface JobPayloads {
  [JobName.ServiceReconcile]: { serviceId: string };
  [JobName.ReconcileAll]: Record<string, never>;
  [JobName.NodeHealth]: Record<string, never>;
  [JobName.Schedule]: Record<string, never>;
}

export type JobOf<N extends JobName> = JobPayloads[N];

/** RECONCILE_ALL_EVERY_MS: the safety-net pass that catches anything missed (e.g. a replica died mid-reconcile). */
export const RECONCILE_ALL_EVERY_MS = 5_000;
/** NODE_HEALTH_EVERY_MS: how often heartbeats are checked; the down period itself is BERTH_NODE_DOWN_MS. */
export const NODE_HEALTH_EVERY_MS = 1_000;
/** SCHEDULER_CHECK_MS: how often each replica checks that Redis still holds the job schedulers (issue: at most 10 s). */
export const SCHEDULER_CHECK_MS = 5_000;
/** SCHEDULER_RETRY_MS: while Redis cannot be reached, the check is retried this often, so schedulers return as soon as it is back. */
export const SCHEDULER_RETRY_MS = 250;
