/**
 * The session's handlers of controller messages: a table from message kind
 * to handler for one stream, one entry per case of ControllerMessage
 * (libs/proto's MessageHandlers: the compiler checks none is missing). A
 * handler gets the message's body; it answers through the stream and
 * reaches this host only through the Worker (and the build and image
 * services for those requests).
 */
import type { AgentMessage, BuildOutput, ControllerMessage, PruneResult, PullProgress } from '#libs/proto/messages.js';
import type { MessageBody, MessageHandlers } from '#libs/proto/dispatch.js';
import type { BuildService } from '../builder/build-service.js';
import type { ImageRequests } from '../images/image-requests.js';
import type { Worker } from '../worker/worker.js';
import { streamLogs } from './log-stream.js';

/** Stream: one session stream as its handlers see it. */
export interface Stream {
  /** write sends a message; after the stream ended it is dropped (no one is left to answer). */
  write(m: AgentMessage): void;
  /** The stream's open requests (logs, builds) by request id, aborted when it ends. */
  requests: Map<string, AbortController>;
  /** accept makes the stream the session's (statuses go up it) and starts its heartbeats. */
  accept(accepted: MessageBody<ControllerMessage, 'accepted'>): void;
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

export function controllerHandlers(d: HandlerDeps, s: Stream): MessageHandlers<ControllerMessage, void> {
  return {
    accepted: (a) => {
      s.accept(a);
      if (a.vipPool) void d.worker.guardVipPool(a.vipPool).catch((err: Error) => d.log('warn', `vip pool rule: ${err.message}`));
    },
    assignments: ({ tasks, sequence, overlays }) => {
      if (sequence <= s.sequence) return;
      s.sequence = sequence;
      d.serially(async () => {
        await d.worker.assign(tasks ?? []);
        await d.worker.setOverlayPeers(overlays ?? []);
      });
    },
    logRequest: (r) => {
      const ctl = new AbortController();
      s.requests.set(r.requestId, ctl);
      void streamLogs(d.worker, (m) => s.write(m), r, ctl.signal).finally(() => s.requests.delete(r.requestId));
    },
    logCancel: (c) => s.requests.get(c.requestId)?.abort(),
    buildRequest: (req) => {
      const ctl = new AbortController();
      s.requests.set(req.requestId, ctl);
      const send = (o: BuildOutput) => s.write({ buildOutput: o });
      if (!d.builds) send({ requestId: req.requestId, lines: [], eof: true, error: 'this agent does not build images', imageDigest: '' });
      else void d.builds.handle(req, send, ctl.signal).finally(() => s.requests.delete(req.requestId));
    },
    buildCancel: (c) => s.requests.get(c.requestId)?.abort(),
    pullRequest: (req) => {
      const send = (o: PullProgress) => s.write({ pullProgress: o });
      if (!d.imageRequests) send({ requestId: req.requestId, layers: [], eof: true, error: 'this agent does not pull on request', digest: '' });
      else void d.imageRequests.pull(req, send);
    },
    pruneRequest: ({ requestId }) => {
      const send = (o: PruneResult) => s.write({ pruneResult: o });
      if (!d.imageRequests) send({ requestId, removedImages: [], bytesFreed: 0, error: 'this agent does not prune on request' });
      else void d.imageRequests.prune(requestId, send);
    },
    volumeRemoveRequest: ({ requestId, names, drivers }) => {
      const send = (removed: string[], error = '') => s.write({ volumeRemoveResult: { requestId, removed, error } });
      void d.worker.removeVolumes(names ?? [], drivers ?? {}).then(
        (r) => send(r),
        (err: Error) => send([], err.message),
      );
    },
  };
}
