/**
 * Pipeline runs the filters over candidate nodes, stops at a node's first
 * failing filter, and counts failures per filter so explain() can say why
 * nothing fits, most frequent reason first.
 */
import type { Filter } from './filter.js';
import type { NodeInfo, TaskToPlace } from './node-info.js';
import { ReadyFilter } from './filters/ready.filter.js';
import { PortsFilter } from './filters/ports.filter.js';
import { PinFilter } from './filters/pin.filter.js';
import { PluginsFilter } from './filters/plugins.filter.js';

export class Pipeline {
  private active: Filter[] = [];
  private failures = new Map<Filter, number>();

  constructor(private readonly filters: Filter[] = [new PinFilter(), new ReadyFilter(), new PluginsFilter(), new PortsFilter()]) {}

  setTask(task: TaskToPlace): void {
    this.active = this.filters.filter((f) => f.setTask(task));
    this.failures.clear();
  }

  process(node: NodeInfo): boolean {
    for (const f of this.active) {
      if (!f.check(node)) {
        this.failures.set(f, (this.failures.get(f) ?? 0) + 1);
        return false;
      }
    }
    return true;
  }

  explain(totalNodes: number): string {
    if (totalNodes === 0) return 'no suitable node (no nodes in the cluster)';
    const reasons = [...this.failures.entries()].sort((a, b) => b[1] - a[1]).map(([f, n]) => f.explain(n));
    return `no suitable node (${reasons.join(', ')})`;
  }
}
