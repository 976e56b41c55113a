/**
 * PortsFilter: a task publishing host ports fits only nodes where no other task holds
 * them, and, for ports published on any host port, nodes with a free one left.
 */
import type { Filter } from '../filter.js';
import type { NodeInfo, TaskToPlace } from '../node-info.js';
import { parsePublish } from '#libs/common';
import { hasFreePort } from '../../allocator/ports.js';

export class PortsFilter implements Filter {
  readonly name = 'ports';
  private ports: string[] = [];
  private random: string[] = [];

  setTask(task: TaskToPlace): boolean {
    this.ports = task.ports ?? [];
    this.random = (task.published ?? [])
      .map(parsePublish)
      .filter((m) => !m.hostPort)
      .map((m) => m.protocol);
    return this.ports.length > 0 || this.random.length > 0;
  }

  check(node: NodeInfo): boolean {
    const used = node.usedPorts ?? new Set<string>();
    return !this.ports.some((p) => used.has(p)) && this.random.every((proto) => hasFreePort(proto, used));
  }

  explain(failures: number): string {
    return failures === 1 ? '1 node has the published port in use' : `${failures} nodes have the published port in use`;
  }
}
