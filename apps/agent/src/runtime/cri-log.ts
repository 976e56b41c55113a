/**
 * The CRI "k8s-file" log format conmon writes: one record a line,
 * `<RFC3339Nano> <stdout|stderr> <F|P> <bytes>\n`. F ends a line of the
 * container's output (its newline is the record's own); P is a piece of a
 * line with no newline yet — conmon writes one whenever a read from the
 * container ends mid-line, including the last bytes before the stream closes.
 * This module turns records back into the container's exact output: pieces
 * are joined without inventing newlines, and a line still unfinished is
 * handed out as `partial` (the consumer prints it without a newline).
 * Pure: no IO. Bytes stay bytes until a line is handed out, so a UTF-8
 * character split across records or reads is never mangled.
 */
import { StringDecoder } from 'node:string_decoder';
import type { LogLine } from '#libs/proto/messages.js';

export interface CriRecord {
  timeMs: number;
  stream: string;
  partial: boolean;
  text: Buffer;
}

const SPACE = 0x20;
const NEWLINE = 0x0a;

/** parseCriLine parses one record (without its newline); undefined when it is not one. */
export function parseCriLine(line: Buffer | string): CriRecord | undefined {
  const b = typeof line === 'string' ? Buffer.from(line) : line;
  const s1 = b.indexOf(SPACE);
  const s2 = s1 < 0 ? -1 : b.indexOf(SPACE, s1 + 1);
  if (s2 < 0) return undefined;
  const s3 = b.indexOf(SPACE, s2 + 1);
  const timeMs = Date.parse(b.subarray(0, s1).toString('latin1'));
  if (Number.isNaN(timeMs)) return undefined;
  const tag = b.subarray(s2 + 1, s3 < 0 ? b.length : s3).toString('latin1');
  // The tag may carry more flags after a colon (F:x); P is the only one that matters here.
  const partial = tag.split(':')[0] === 'P';
  return { timeMs, stream: b.subarray(s1 + 1, s2).toString('latin1'), partial, text: s3 < 0 ? Buffer.alloc(0) : b.subarray(s3 + 1) };
}

/** RecordSplitter cuts a byte stream into records at newlines, keeping an unterminated tail for the next bytes. */
export class RecordSplitter {
  private rest = Buffer.alloc(0);

  /** push returns the complete records in `chunk` (and what was held back before it). */
  push(chunk: Buffer): Buffer[] {
    const buf = this.rest.length ? Buffer.concat([this.rest, chunk]) : chunk;
    const out: Buffer[] = [];
    let start = 0;
    for (let nl = buf.indexOf(NEWLINE); nl >= 0; nl = buf.indexOf(NEWLINE, start)) {
      out.push(buf.subarray(start, nl));
      start = nl + 1;
    }
    // Copied: `chunk` may be a read buffer that is about to be reused.
    this.rest = Buffer.from(buf.subarray(start));
    return out;
  }

  /** end hands out an unterminated last record (a log whose writer stopped mid-record); none when there is none. */
  end(): Buffer[] {
    const last = this.rest;
    this.rest = Buffer.alloc(0);
    return last.length ? [last] : [];
  }
}

interface Pending {
  timeMs: number;
  decoder: StringDecoder;
  text: string;
}

/**
 * LineAssembler joins P records into the line their F record ends, per
 * stream. flush hands out what an unfinished line holds so far as a partial
 * line; the rest of that line, when it comes, is handed out on its own.
 */
export class LineAssembler {
  private readonly pending = new Map<string, Pending>();

  push(r: CriRecord): LogLine | undefined {
    let p = this.pending.get(r.stream);
    if (!p) {
      p = { timeMs: r.timeMs, decoder: new StringDecoder('utf8'), text: '' };
      this.pending.set(r.stream, p);
    } else if (p.text === '') p.timeMs = r.timeMs; // the rest of a line whose start was already flushed
    p.text += p.decoder.write(r.text);
    if (r.partial) return undefined;
    this.pending.delete(r.stream);
    return { timeMs: p.timeMs, stream: r.stream, text: p.text + p.decoder.end(), partial: false };
  }

  /**
   * flush returns the unfinished lines' text as partial lines, oldest first.
   * With `final` (no more records will come) everything goes, an incomplete
   * UTF-8 sequence included; otherwise such a sequence waits for its bytes.
   */
  flush(final: boolean): LogLine[] {
    const out: LogLine[] = [];
    for (const [stream, p] of this.pending) {
      const text = p.text + (final ? p.decoder.end() : '');
      if (text) out.push({ timeMs: p.timeMs, stream, text, partial: true });
      if (final) this.pending.delete(stream);
      else p.text = '';
    }
    return out.sort((a, b) => a.timeMs - b.timeMs);
  }
}
