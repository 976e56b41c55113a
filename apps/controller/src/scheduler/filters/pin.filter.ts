/**
 * PinFilter: a task bound to one node — by a local volume that lives there,
 * or by --volumes-from — fits only that node. When the node is down the task
 * waits for it; it is never started elsewhere without its data.
 */
import type { Filter } from '../filter.js';
import type { NodeInfo, TaskToPlace } from '../node-info.js';

export class PinFilter implements Filter {
  readonly name = 'pin';
  private node = '';
  private why = '';

  setTask(task: TaskToPlace): boolean {
    this.node = task.requiredNode ?? '';
    this.why = task.requiredWhy ?? '';
    return !!this.node;
  }

  check(node: NodeInfo): boolean {
    return node.id === this.node;
  }

  explain(failures: number): string {
    return `${failures} node${failures === 1 ? ' is' : 's are'} not the node holding ${this.why}`;
  }
}
