/**
 * StateDb: what the agent must remember across restarts (swarmkit
 * agent/storage.go): its identity and, per task, the last spec it was
 * given and the last status it reported. file.state-db.ts is the real one.
 */
import type { TaskSpec, TaskStatus } from '#libs/proto/messages.js';

export interface Identity {
  nodeId: string;
  keyPem: string;
  certPem: string;
  caPem: string;
}

export interface TaskRecord {
  spec: TaskSpec;
  status: TaskStatus;
}

export interface StateDb {
  loadIdentity(): Promise<Identity | undefined>;
  saveIdentity(id: Identity): Promise<void>;
  listTasks(): Promise<TaskRecord[]>;
  putTask(rec: TaskRecord): Promise<void>;
  deleteTask(taskId: string): Promise<void>;
}
