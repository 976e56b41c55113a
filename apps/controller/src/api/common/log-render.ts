/**
 * LogRenderer turns the log lines of one or more tasks into the text of a
 * log response. A line is its text plus a newline, except a partial one
 * (the task wrote no newline after it, or not yet): that is written as it
 * is, and the rest of its line follows when it comes, so one task's output
 * comes out byte for byte. With prefixes (several tasks in one response)
 * each line starts with its task's prefix; when another task's or stream's
 * line arrives while a partial line is open, the open one is ended with a
 * newline first so the prefix of the next lands at the start of a line, and
 * its rest is prefixed again. With timestamps each line (not a partial
 * line's continuation) starts with the time it was written, after the
 * prefix, as docker's --timestamps. Pure: no IO.
 */
import type { LogLine } from '#libs/proto/messages.js';

export class LogRenderer {
  /** The source and stream whose partial line the output ends with, if any. */
  private open: string | undefined;

  constructor(private readonly timestamps = false) {}

  /** render returns the text to write for `line` of source `key` (unique per task). */
  render(key: string, prefix: string, line: LogLine): string {
    const id = `${key}\0${line.stream}`;
    let out = '';
    const continues = this.open === id;
    if (this.open !== undefined && !continues && prefix) out += '\n';
    if (!continues) out += prefix + (this.timestamps ? `${new Date(line.timeMs).toISOString()} ` : '');
    out += line.text;
    if (line.partial) this.open = id;
    else {
      out += '\n';
      this.open = undefined;
    }
    return out;
  }
}
