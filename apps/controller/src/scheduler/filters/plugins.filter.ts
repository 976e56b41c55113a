/** PluginsFilter: a task whose volumes come from volume plugins fits only nodes that have those plugins. */
import type { Filter } from '../filter.js';
import type { NodeInfo, TaskToPlace } from '../node-info.js';

export class PluginsFilter implements Filter {
  readonly name = 'plugins';
  private drivers: string[] = [];

  setTask(task: TaskToPlace): boolean {
    this.drivers = task.drivers ?? [];
    return this.drivers.length > 0;
  }

  check(node: NodeInfo): boolean {
    return this.drivers.every((d) => node.plugins?.has(d));
  }

  explain(failures: number): string {
    return `${failures} node${failures === 1 ? ' lacks' : 's lack'} the volume plugin ${this.drivers.join(', ')}`;
  }
}
