/**
 * The session's handlers of controller messages: a table from message kind
 * to handler, one entry per kind of ControllerMessage (the compiler checks
 * none is missing). A handler gets the message's body and the stream it
 * came on; it answers through the stream and reaches this host only
 * through the Worker (and the build and image services for those requests).
 */
import type { AgentMessage, BuildOutput, ControllerMessage, PruneResult, PullProgress } from '../../../../libs/proto/messages.js';
import type { BuildService } from '../builder/build-service.js';
import type { ImageRequests } from '../images/image-requests.js';
import type { Worker } from '../worker/worker.js';
import { streamLogs } from './log-stream.js';

/** ControllerMessageKind: the field naming a controller message's kind (accepted, assignments, logRequest...). */
export type ControllerMessageKind = ControllerMessage extends infer M ? (M extends unknown ? Exclude<keyof M, 'msg'> : never) : never;
/** MessageBody: the body of a controller message of kind K. */
export type MessageBody<K extends ControllerMessageKind> = NonNullable<Extract<ControllerMessage, { [P in K]: unknown }>[K]>;

/** Stream: one session stream as its handlers see it. */
export interface Stream {
  /** write sends a message; after the stream ended it is dropped (no one is left to answer). */
  write(m: AgentMessage): void;
  /** The stream's open requests (logs, builds) by request id, aborted when it ends. */
  requests: Map<string, AbortController>;
  /** accept makes the stream the session's (statuses go up it) and starts its heartbeats. */
  accept(accepted: MessageBody<'accepted'>): void;
  /** The last assignment set's sequence number (older sets are dropped). */
  sequence: number;
}

export interface HandlerDeps {
  worker: Worker;
  builds?: BuildService;
  imageRequests?: ImageRequests;
  log(level: string, m: string): void;
  /** serially runs assignment work one set after the other. */
  serially(work: () => Promise<void>): void;
}

export type HandlerTable = { [K in ControllerMessageKind]: (body: MessageBody<K>, s: Stream) => void };

export function controllerHandlers(d: HandlerDeps): HandlerTable {
  return {
    accepted: (a, s) => {
      s.accept(a);
      if (a.vipPool) void d.worker.guardVipPool(a.vipPool).catch((err: Error) => d.log('warn', `vip pool rule: ${err.message}`));
    },
    assignments: ({ tasks, sequence, overlays }, s) => {
      if (sequence <= s.sequence) return;
      s.sequence = sequence;
      d.serially(async () => {
        await d.worker.assign(tasks ?? []);
        await d.worker.setOverlayPeers(overlays ?? []);
      });
    },
    logRequest: (r, s) => {
      const ctl = new AbortController();
      s.requests.set(r.requestId, ctl);
      void streamLogs(d.worker, s.write, r, ctl.signal).finally(() => s.requests.delete(r.requestId));
    },
    logCancel: (c, s) => s.requests.get(c.requestId)?.abort(),
    buildRequest: (req, s) => {
      const ctl = new AbortController();
      s.requests.set(req.requestId, ctl);
      const send = (o: BuildOutput) => s.write({ buildOutput: o });
      if (!d.builds) send({ requestId: req.requestId, lines: [], eof: true, error: 'this agent does not build images', imageDigest: '' });
      else void d.builds.handle(req, send, ctl.signal).finally(() => s.requests.delete(req.requestId));
    },
    buildCancel: (c, s) => s.requests.get(c.requestId)?.abort(),
    pullRequest: (req, s) => {
      const send = (o: PullProgress) => s.write({ pullProgress: o });
      if (!d.imageRequests) send({ requestId: req.requestId, layers: [], eof: true, error: 'this agent does not pull on request', digest: '' });
      else void d.imageRequests.pull(req, send);
    },
    pruneRequest: ({ requestId }, s) => {
      const send = (o: PruneResult) => s.write({ pruneResult: o });
      if (!d.imageRequests) send({ requestId, removedImages: [], bytesFreed: 0, error: 'this agent does not prune on request' });
      else void d.imageRequests.prune(requestId, send);
    },
    volumeRemoveRequest: ({ requestId, names, drivers }, s) => {
      const send = (removed: string[], error = '') => s.write({ volumeRemoveResult: { requestId, removed, error } });
      void d.worker.removeVolumes(names ?? [], drivers ?? {}).then((r) => send(r), (err: Error) => send([], err.message));
    },
  };
}

/** dispatch hands a controller message to the handler of its kind; kinds this agent does not know are ignored. */
export function dispatch(table: HandlerTable, m: ControllerMessage, s: Stream): void {
  for (const [kind, body] of Object.entries(m)) {
    if (kind === 'msg' || !body || !Object.hasOwn(table, kind)) continue;
    (table[kind as ControllerMessageKind] as (b: unknown, s: Stream) => void)(body, s);
    return;
  }
}
