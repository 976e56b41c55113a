/**
 * PullProgressView: `docker pull`-style per-layer progress. Takes progress
 * events (node, layer digest, phase, bytes done/total) and renders one line
 * per node and layer; on a terminal the block is redrawn in place, elsewhere
 * only phase changes are printed, so logs stay readable.
 */
import { size } from './table.js';

export interface PullEvent {
  node: string;
  layer: string;
  phase: string;
  current: number;
  total: number;
}

const BAR = 40;

export function bar(current: number, total: number): string {
  if (total <= 0) return '';
  const filled = Math.min(BAR, Math.floor((current / total) * BAR));
  const body = filled < BAR ? `${'='.repeat(filled)}>${' '.repeat(BAR - filled - 1)}` : '='.repeat(BAR);
  return `[${body}] ${size(current)}/${size(total)}`;
}

function label(phase: string): string {
  return phase.charAt(0).toUpperCase() + phase.slice(1);
}

export class PullProgressView {
  private readonly rows = new Map<string, PullEvent>();
  private drawn = 0;

  constructor(
    private readonly out: NodeJS.WritableStream & { isTTY?: boolean },
    private readonly multiNode: boolean,
  ) {}

  private line(e: PullEvent): string {
    const who = `${this.multiNode ? `${e.node}: ` : ''}${e.layer.replace(/^sha256:/, '').slice(0, 12)}`;
    const detail = e.phase === 'downloading' || e.phase === 'extracting' ? ` ${bar(e.current, e.total)}` : '';
    return `${who}: ${label(e.phase === 'exists' ? 'already exists' : e.phase === 'done' ? 'pull complete' : e.phase)}${detail}`;
  }

  update(e: PullEvent): void {
    const key = `${e.node}\0${e.layer}`;
    const prev = this.rows.get(key);
    this.rows.set(key, e);
    if (!this.out.isTTY) {
      if (prev?.phase !== e.phase) this.out.write(`${this.line(e)}\n`);
      return;
    }
    const lines = [...this.rows.values()].map((r) => this.line(r));
    this.out.write(`${this.drawn ? `\x1b[${this.drawn}A` : ''}${lines.map((l) => `\x1b[2K${l}\n`).join('')}`);
    this.drawn = lines.length;
  }
}
