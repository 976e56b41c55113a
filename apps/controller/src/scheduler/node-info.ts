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
  /** Host ports published by its non-terminal tasks ("tcp/8080"). */
  usedPorts?: Set<string>;
  /** The volume plugins it has. */
  plugins?: Set<string>;
}

export interface TaskToPlace {
  id: string;
  version: number;
  serviceId: string | null;
  /** Host ports the task publishes ("tcp/8080"): a node can give each to one task. */
  ports?: string[];
  /** Set when some port is published on any free host port ("0:80/tcp"): all its ports, stored form. */
  published?: string[];
  /** The node it must run on (schedule() fills it from pinnedNode and volumeNodes), and what holds it there. */
  requiredNode?: string;
  requiredWhy?: string;
  /** --volumes-from: its source container's node. */
  pinnedNode?: string;
  /** Local-scope volumes it mounts (they hold it to one node). */
  volumes?: string[];
  /** Volume plugins its volumes need. */
  drivers?: string[];
}
