/**
 * Container logs as conmon writes them (CRI "k8s-file" format, one record a
 * line: `<RFC3339Nano> <stdout|stderr> <F|P> <text>`; P marks a partial line
 * continued by the next record). readLogs yields whole lines, the last N with
 * `tail`, and with `follow` keeps reading as the file grows until the
 * container has exited and the file is drained, or the signal aborts.
 */
import { open } from 'node:fs/promises';
import type { LogLine } from '../../../../libs/proto/messages.js';

/** FOLLOW_POLL_MS: how often a followed log is checked for new bytes. */
const FOLLOW_POLL_MS = 100;

export interface CriRecord { timeMs: number; stream: string; partial: boolean; text: string }

export function parseCriLine(line: string): CriRecord | undefined {
  const a = line.indexOf(' ');
  const b = line.indexOf(' ', a + 1);
  const c = line.indexOf(' ', b + 1);
  if (a < 0 || b < 0) return undefined;
  const tag = c < 0 ? line.slice(b + 1) : line.slice(b + 1, c);
  const t = Date.parse(line.slice(0, a));
  if (Number.isNaN(t)) return undefined;
  return { timeMs: t, stream: line.slice(a + 1, b), partial: tag === 'P', text: c < 0 ? '' : line.slice(c + 1) };
}

/** joinRecords assembles partial records into whole lines. */
export class LineAssembler {
  private pending = new Map<string, CriRecord>();

  push(r: CriRecord): LogLine | undefined {
    const prev = this.pending.get(r.stream);
    const text = (prev?.text ?? '') + r.text;
    if (r.partial) {
      this.pending.set(r.stream, { ...r, text, timeMs: prev?.timeMs ?? r.timeMs });
      return undefined;
    }
    this.pending.delete(r.stream);
    return { timeMs: prev?.timeMs ?? r.timeMs, stream: r.stream, text };
  }
}

export async function* readLogs(
  file: string, opts: { follow: boolean; tail: number }, isDone: () => Promise<boolean>, signal?: AbortSignal,
): AsyncGenerator<LogLine> {
  const fh = await open(file, 'r').catch(() => undefined);
  if (!fh) return;
  try {
    const asm = new LineAssembler();
    let pos = 0;
    let rest = '';
    const buf = Buffer.alloc(64 * 1024);
    const drain = async (): Promise<LogLine[]> => {
      const out: LogLine[] = [];
      for (;;) {
        const { bytesRead } = await fh.read(buf, 0, buf.length, pos);
        if (!bytesRead) break;
        pos += bytesRead;
        const lines = (rest + buf.subarray(0, bytesRead).toString('utf8')).split('\n');
        rest = lines.pop()!;
        for (const l of lines) {
          const r = parseCriLine(l);
          const line = r && asm.push(r);
          if (line) out.push(line);
        }
      }
      return out;
    };
    const first = await drain();
    yield* opts.tail >= 0 ? first.slice(Math.max(0, first.length - opts.tail)) : first;
    if (!opts.follow) return;
    while (!signal?.aborted) {
      const done = await isDone();
      const more = await drain();
      yield* more;
      if (done) return;
      await new Promise((r) => setTimeout(r, FOLLOW_POLL_MS));
    }
  } finally {
    await fh.close();
  }
}
