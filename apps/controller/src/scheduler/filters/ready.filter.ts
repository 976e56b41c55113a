/** ReadyFilter: only ready nodes that accept work (availability active). */
import type { Filter } from '../filter.js';
import type { NodeInfo } from '../node-info.js';

export class ReadyFilter implements Filter {
  readonly name = 'ready';

  setTask(): boolean {
    return true;
  }

  check(node: NodeInfo): boolean {
    return node.status === 'ready' && node.availability === 'active';
  }

  explain(failures: number): string {
    return failures === 1 ? '1 node not ready' : `${failures} nodes not ready`;
  }
}
