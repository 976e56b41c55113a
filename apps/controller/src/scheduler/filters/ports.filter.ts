/** PortsFilter: a task publishing host ports fits only nodes where no other task holds them. */
import type { Filter } from '../filter.js';
import type { NodeInfo, TaskToPlace } from '../node-info.js';

export class PortsFilter implements Filter {
  readonly name = 'ports';
  private ports: string[] = [];

  setTask(task: TaskToPlace): boolean {
    this.ports = task.ports ?? [];
    return this.ports.length > 0;
  }

  check(node: NodeInfo): boolean {
    return !this.ports.some((p) => node.usedPorts?.has(p));
  }

  explain(failures: number): string {
    return failures === 1 ? '1 node has the published port in use' : `${failures} nodes have the published port in use`;
  }
}
