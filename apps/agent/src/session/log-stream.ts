/**
 * streamLogs answers a controller's log request: a task's container output
 * in LogChunk messages of at most LOG_CHUNK_LINES lines or LOG_CHUNK_BYTES,
 * a partial chunk sent after LOG_FLUSH_MS of quiet, and a last chunk with
 * eof (and the error, if reading failed).
 */
import type { AgentMessage, LogLine, LogRequest } from '#libs/proto/messages.js';
import type { Worker } from '../worker/worker.js';

/** LOG_CHUNK_LINES / LOG_CHUNK_BYTES bound one LogChunk message. */
const LOG_CHUNK_LINES = 100;
const LOG_CHUNK_BYTES = 64 * 1024;
/** LOG_FLUSH_MS: a followed log's lines go up once no more came for this long. */
const LOG_FLUSH_MS = 50;

export async function streamLogs(worker: Pick<Worker, 'logs'>, write: (m: AgentMessage) => void, req: LogRequest, signal: AbortSignal): Promise<void> {
  const { requestId, taskId, follow, tail, sinceMs } = req;
  let lines: LogLine[] = [];
  let bytes = 0;
  const send = (eof: boolean, error = '') => {
    if (signal.aborted && !eof) return;
    write({ log: { requestId, lines, eof, error } });
    lines = [];
    bytes = 0;
  };
  try {
    let timer: NodeJS.Timeout | undefined;
    for await (const l of worker.logs(taskId, { follow, tail, sinceMs }, signal)) {
      lines.push(l);
      bytes += l.text.length;
      if (lines.length >= LOG_CHUNK_LINES || bytes >= LOG_CHUNK_BYTES) send(false);
      else {
        clearTimeout(timer);
        timer = setTimeout(() => lines.length && send(false), LOG_FLUSH_MS);
      }
    }
    clearTimeout(timer);
    send(true);
  } catch (err) {
    send(true, (err as Error).message);
  }
}
