/**
 * LogStreamer writes the log lines of one or more tasks to an HTTP response
 * as text/plain, optionally prefixed per task, and stops when the client
 * goes away. Lines of several tasks interleave as they arrive; LogRenderer
 * turns them into text (partial lines without an invented newline).
 */
import { Injectable } from '@nestjs/common';
import type { Request, Response } from 'express';
import { NodeRouter } from '../../dispatcher/dispatcher.module.js';
import { NotFoundError } from '../../store/store.module.js';
import { LogRenderer } from './log-render.js';
import type { LogView } from './query.js';

export interface LogSource {
  nodeId: string | null;
  taskId: string;
  prefix: string;
}

@Injectable()
export class LogStreamer {
  constructor(private readonly router: NodeRouter) {}

  async stream(sources: LogSource[], opts: LogView, req: Request, res: Response): Promise<void> {
    const placed = sources.filter((s) => s.nodeId);
    if (!placed.length && sources.length === 1) throw new NotFoundError('the container has not been placed on a node yet; no logs');
    const ctl = new AbortController();
    req.on('close', () => ctl.abort());
    const iters = placed.map((s) => ({ s, it: this.router.streamLogs(s.nodeId!, { taskId: s.taskId, follow: opts.follow, tail: opts.tail, sinceMs: opts.sinceMs }, ctl.signal) }));
    // Pull the first line of each stream before answering so errors still become a proper status.
    const firsts = await Promise.all(
      iters.map(async ({ s, it }) => {
        try {
          return { s, it, first: await it.next() };
        } catch (err) {
          if (placed.length === 1) throw err;
          return { s, it, first: { done: true, value: undefined } as IteratorResult<never> };
        }
      }),
    );
    res.status(200).setHeader('content-type', 'text/plain; charset=utf-8');
    res.flushHeaders();
    const text = new LogRenderer(opts.timestamps);
    await Promise.all(
      firsts.map(async ({ s, it, first }) => {
        let r = first;
        try {
          while (!r.done && !ctl.signal.aborted) {
            res.write(text.render(s.taskId, s.prefix, r.value));
            r = await it.next();
          }
        } catch {
          /* a stream that ends with an error ends its lines */
        }
      }),
    );
    res.end();
  }
}
