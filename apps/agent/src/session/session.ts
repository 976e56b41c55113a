/**
 * Session: the agent's side of Dispatcher.Session (swarmkit agent/session.go).
 * One session = one stream to one controller replica: Hello with every task
 * status, then heartbeats, batched status reports and log streams up;
 * complete assignment sets and log requests down. Any error tears the whole
 * session down and the next one is built after a backoff, rotating through
 * the controller addresses.
 */
import * as grpc from '@grpc/grpc-js';
import { loadDispatcher } from '../../../../libs/proto/loader.js';
import type { AgentMessage, BuildOutput, ControllerMessage, LogLine, NodeDescription, PruneResult, PullProgress, TaskStatus } from '../../../../libs/proto/messages.js';
import type { Runtime } from '../runtime/runtime.js';
import type { Identity } from '../state/state-db.js';
import type { Worker } from '../worker/worker.js';
import { guardVipPool } from '../network/vip-guard.js';
import type { BuildService } from '../build/build-service.js';
import type { ImageRequests } from '../images/image-requests.js';
import { Backoff, jittered } from './backoff.js';

/** STATUS_FLUSH_MS: status changes are batched this long before they go up. */
const STATUS_FLUSH_MS = 20;
/** LOG_CHUNK_LINES / LOG_CHUNK_BYTES bound one LogChunk message. */
const LOG_CHUNK_LINES = 100;
const LOG_CHUNK_BYTES = 64 * 1024;

type Call = grpc.ClientDuplexStream<AgentMessage, ControllerMessage>;

export class Session {
  private call?: Call;
  private pending: TaskStatus[] = [];
  private flushTimer?: NodeJS.Timeout;
  private assigning: Promise<void> = Promise.resolve();
  private readonly Client = loadDispatcher().Client;

  constructor(
    private readonly controllers: string[],
    private readonly id: Identity,
    private readonly worker: Worker,
    private readonly runtime: Runtime,
    private readonly describe: () => NodeDescription,
    private readonly log: (level: string, m: string) => void,
    private readonly builds?: BuildService,
    private readonly imageRequests?: ImageRequests,
  ) {}

  /** report queues a status for the current session (the state db keeps it for the next Hello otherwise). */
  report(s: TaskStatus): void {
    if (!this.call) return;
    this.pending.push(s);
    this.flushTimer ??= setTimeout(() => this.flush(), STATUS_FLUSH_MS);
  }

  /** describeAgain sends the node's description to the controller (it changed: a volume plugin came or went). */
  describeAgain(): void {
    this.call?.write({ nodeUpdate: this.describe() });
  }

  private flush(): void {
    this.flushTimer = undefined;
    const batch = this.pending.splice(0);
    if (batch.length && this.call) this.call.write({ statuses: { statuses: batch } });
  }

  async runForever(signal: AbortSignal): Promise<void> {
    const backoff = new Backoff();
    for (let i = 0; !signal.aborted; i++) {
      const addr = this.controllers[i % this.controllers.length]!;
      const { established, reason } = await this.runOnce(addr, signal);
      if (signal.aborted) return;
      if (established) backoff.reset();
      const wait = backoff.next();
      this.log('warn', `session with ${addr} ended (${reason}); reconnecting in ${wait} ms`);
      await new Promise((r) => setTimeout(r, wait));
    }
  }

  private runOnce(addr: string, signal: AbortSignal): Promise<{ established: boolean; reason: string }> {
    const creds = grpc.credentials.createSsl(Buffer.from(this.id.caPem), Buffer.from(this.id.keyPem), Buffer.from(this.id.certPem), { checkServerIdentity: () => undefined });
    const client = new this.Client(addr, creds, { 'grpc.keepalive_time_ms': 10_000, 'grpc.keepalive_timeout_ms': 5_000 });
    const call: Call = client.Session();
    const requests = new Map<string, AbortController>();
    /** write answers a request; after the session ended there is no one to answer. */
    const write = (m: AgentMessage) => {
      try {
        call.write(m);
      } catch {
        /* the session ended; its requests were aborted with it */
      }
    };
    let established = false;
    let heartbeat: NodeJS.Timeout | undefined;
    let lastSeq = -1;
    return new Promise((resolve) => {
      let finished = false;
      const finish = (reason: string) => {
        if (finished) return;
        finished = true;
        if (heartbeat) clearTimeout(heartbeat);
        for (const c of requests.values()) c.abort();
        if (this.call === call) this.call = undefined;
        signal.removeEventListener('abort', onAbort);
        call.cancel();
        client.close();
        resolve({ established, reason });
      };
      const onAbort = () => finish('agent stopping');
      signal.addEventListener('abort', onAbort);
      call.on('error', (err: grpc.ServiceError) => {
        if (err.code === grpc.status.UNAUTHENTICATED) this.log('error', `controller ${addr} does not accept this node's identity: ${err.details}`);
        finish(err.details || err.message);
      });
      call.on('end', () => finish('stream closed by controller'));
      call.on('data', (m: ControllerMessage) => {
        if ('accepted' in m && m.accepted) {
          established = true;
          this.call = call;
          this.log('info', `session established with ${addr} as node ${m.accepted.nodeId}`);
          if (m.accepted.vipPool) void guardVipPool(m.accepted.vipPool).catch((err: Error) => this.log('warn', `vip pool rule: ${err.message}`));
          const period = m.accepted.heartbeatPeriodMs || 1000;
          const beat = () => {
            call.write({ heartbeat: {} });
            heartbeat = setTimeout(beat, jittered(period));
          };
          heartbeat = setTimeout(beat, jittered(period));
        } else if ('assignments' in m && m.assignments) {
          const { tasks, sequence } = m.assignments;
          if (sequence <= lastSeq) return;
          lastSeq = sequence;
          const overlays = m.assignments.overlays ?? [];
          this.assigning = this.assigning.then(async () => {
            await this.worker.assign(tasks ?? []);
            await this.runtime.setOverlayPeers?.(overlays);
          }).catch((err) => this.log('error', `assignments: ${(err as Error).message}`));
        } else if ('logRequest' in m && m.logRequest) {
          const req = m.logRequest;
          const ctl = new AbortController();
          requests.set(req.requestId, ctl);
          void this.streamLogs(call, req.requestId, req.taskId, req.follow, req.tail, ctl.signal)
            .finally(() => requests.delete(req.requestId));
        } else if ('logCancel' in m && m.logCancel) {
          requests.get(m.logCancel.requestId)?.abort();
        } else if ('buildRequest' in m && m.buildRequest) {
          const req = m.buildRequest;
          const ctl = new AbortController();
          requests.set(req.requestId, ctl);
          const send = (o: BuildOutput) => write({ buildOutput: o });
          if (!this.builds) send({ requestId: req.requestId, lines: [], eof: true, error: 'this agent does not build images', imageDigest: '' });
          else void this.builds.handle(req, send, ctl.signal).finally(() => requests.delete(req.requestId));
        } else if ('buildCancel' in m && m.buildCancel) {
          requests.get(m.buildCancel.requestId)?.abort();
        } else if ('pullRequest' in m && m.pullRequest) {
          const req = m.pullRequest;
          const send = (o: PullProgress) => write({ pullProgress: o });
          if (!this.imageRequests) send({ requestId: req.requestId, layers: [], eof: true, error: 'this agent does not pull on request', digest: '' });
          else void this.imageRequests.pull(req, send);
        } else if ('pruneRequest' in m && m.pruneRequest) {
          const id = m.pruneRequest.requestId;
          const send = (o: PruneResult) => write({ pruneResult: o });
          if (!this.imageRequests) send({ requestId: id, removedImages: [], bytesFreed: 0, error: 'this agent does not prune on request' });
          else void this.imageRequests.prune(id, send);
        } else if ('volumeRemoveRequest' in m && m.volumeRemoveRequest) {
          const { requestId, names, drivers } = m.volumeRemoveRequest;
          const send = (removed: string[], error = '') => write({ volumeRemoveResult: { requestId, removed, error } });
          if (!this.runtime.removeVolumes) send([], 'this agent has no volumes');
          // Containers being removed in the background may still hold the volumes: let them go first.
          else void this.worker.idle().then(() => this.runtime.removeVolumes!(names ?? [], drivers ?? {})).then((r) => send(r), (err: Error) => send([], err.message));
        }
      });
      call.write({ hello: { description: this.describe(), tasks: this.worker.statuses() } });
    });
  }

  private async streamLogs(call: Call, requestId: string, taskId: string, follow: boolean, tail: number, signal: AbortSignal): Promise<void> {
    let lines: LogLine[] = [];
    let bytes = 0;
    const send = (eof: boolean, error = '') => {
      if (signal.aborted && !eof) return;
      call.write({ log: { requestId, lines, eof, error } });
      lines = [];
      bytes = 0;
    };
    try {
      let timer: NodeJS.Timeout | undefined;
      for await (const l of this.runtime.logs(taskId, { follow, tail }, signal)) {
        lines.push(l);
        bytes += l.text.length;
        if (lines.length >= LOG_CHUNK_LINES || bytes >= LOG_CHUNK_BYTES) send(false);
        else {
          clearTimeout(timer);
          timer = setTimeout(() => lines.length && send(false), 50);
        }
      }
      clearTimeout(timer);
      send(true);
    } catch (err) {
      send(true, (err as Error).message);
    }
  }
}
