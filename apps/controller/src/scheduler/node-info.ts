/** NodeInfo: the scheduler's own view of a node (no IO types). */
export interface NodeInfo {
  id: string;
  hostname: string;
  status: string;
  availability: string;
  /** Non-terminal tasks on the node, all services and containers together. */
  activeTasks: number;
  /** Non-terminal tasks per service id. */
  tasksByService: Map<string, number>;
}

export interface TaskToPlace {
  id: string;
  version: number;
  serviceId: string | null;
}
