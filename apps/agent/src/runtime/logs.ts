/**
 * readLogs reads a container's log file (CRI format, see cri-log.ts) back as
 * the container's output: whole lines, and an unfinished last line as a
 * partial one (the container wrote no newline after it), so nothing it wrote
 * is left out. `sinceMs` keeps the lines written from then on, then `tail`
 * keeps the last N of those (an unfinished line counts as one), as docker's
 * --since and --tail. With `follow` it keeps reading as the file grows, handing out each
 * piece of an unfinished line as it arrives, until the container has exited
 * and the file is drained, or the signal aborts.
 */
import { open } from 'node:fs/promises';
import type { LogLine } from '#libs/proto/messages.js';
import { LineAssembler, parseCriLine, RecordSplitter } from './cri-log.js';

/** FOLLOW_POLL_MS: how often a followed log is checked for new bytes. */
const FOLLOW_POLL_MS = 100;
/** READ_BYTES: how much of the file one read takes. */
const READ_BYTES = 64 * 1024;

export async function* readLogs(file: string, opts: { follow: boolean; tail: number; sinceMs?: number }, isDone: () => Promise<boolean>, signal?: AbortSignal): AsyncGenerator<LogLine> {
  const fh = await open(file, 'r').catch(() => undefined);
  if (!fh) return;
  try {
    const asm = new LineAssembler();
    const split = new RecordSplitter();
    let pos = 0;
    const buf = Buffer.alloc(READ_BYTES);
    const assemble = (records: Buffer[], out: LogLine[]) => {
      for (const rec of records) {
        const r = parseCriLine(rec);
        const line = r && asm.push(r);
        if (line) out.push(line);
      }
    };
    /** drain reads what the file has now; `ended` (the container is gone) also hands out unfinished records and lines. */
    const drain = async (ended: boolean): Promise<LogLine[]> => {
      const out: LogLine[] = [];
      for (;;) {
        const { bytesRead } = await fh.read(buf, 0, buf.length, pos);
        if (!bytesRead) break;
        pos += bytesRead;
        assemble(split.push(buf.subarray(0, bytesRead)), out);
      }
      // A record without its newline is only taken once its writer is gone; until then it may still grow.
      if (ended) assemble(split.end(), out);
      return [...out, ...asm.flush(ended)].filter((l) => !opts.sinceMs || l.timeMs >= opts.sinceMs);
    };
    if (!opts.follow) {
      // Asked first: once the container is gone, everything it wrote is in the file.
      yield* tailOf(await drain(await isDone()), opts.tail);
      return;
    }
    yield* tailOf(await drain(false), opts.tail);
    while (!signal?.aborted) {
      const done = await isDone();
      yield* await drain(done);
      if (done) return;
      await new Promise((r) => setTimeout(r, FOLLOW_POLL_MS));
    }
  } finally {
    await fh.close();
  }
}

function tailOf(lines: LogLine[], tail: number): LogLine[] {
  return tail >= 0 ? lines.slice(Math.max(0, lines.length - tail)) : lines;
}
