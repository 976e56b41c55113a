/**
 * Filter: one feasibility check of the scheduling pipeline (swarmkit's
 * filter.go). setTask says whether the filter applies to a task, check
 * tests one node, explain turns a count of failures into a reason a user
 * reads in `service ps`.
 */
import type { NodeInfo, TaskToPlace } from './node-info.js';

export interface Filter {
  readonly name: string;
  setTask(task: TaskToPlace): boolean;
  check(node: NodeInfo): boolean;
  explain(failures: number): string;
}
