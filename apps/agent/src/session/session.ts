/**
 * Session: the agent's side of Dispatcher.Session (swarmkit agent/session.go).
 * One session = one stream to one controller replica: Hello with every task
 * status, then heartbeats, batched status reports and log streams up;
 * complete assignment sets and log requests down. Any error tears the whole
 * session down and the next one is built after a backoff, rotating through
 * the controller addresses.
 */
import * as grpc from '@grpc/grpc-js';
import { loadDispatcher } from '#libs/proto/loader.js';
import type { AgentMessage, ControllerMessage, NodeDescription, TaskStatus } from '#libs/proto/messages.js';
import type { Identity } from '../state/state-db.js';
import type { Worker } from '../worker/worker.js';
import type { BuildService } from '../builder/build-service.js';
import type { ImageRequests } from '../images/image-requests.js';
import { Backoff, jittered } from './backoff.js';
import { controllerHandlers, type HandlerDeps, type Stream } from './handlers.js';
import { dispatchMessage } from '#libs/proto/dispatch.js';

/** STATUS_FLUSH_MS: status changes are batched this long before they go up. */
const STATUS_FLUSH_MS = 20;

type Call = grpc.ClientDuplexStream<AgentMessage, ControllerMessage>;

export class Session {
  private call?: Call;
  private pending: TaskStatus[] = [];
  private flushTimer?: NodeJS.Timeout;
  private assigning: Promise<void> = Promise.resolve();
  private readonly Client = loadDispatcher().Client;
  private readonly deps: HandlerDeps;

  constructor(
    private readonly controllers: string[],
    private readonly id: Identity,
    private readonly worker: Worker,
    private readonly describe: () => NodeDescription,
    private readonly log: (level: string, m: string) => void,
    builds?: BuildService,
    imageRequests?: ImageRequests,
  ) {
    const serially = (work: () => Promise<void>) => {
      this.assigning = this.assigning.then(work).catch((err) => this.log('error', `assignments: ${(err as Error).message}`));
    };
    this.deps = { worker, builds, imageRequests, log, serially };
  }

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
      const addr = this.controllers[i % this.controllers.length];
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
    const stream: Stream = {
      write,
      requests,
      sequence: -1,
      accept: (accepted) => {
        established = true;
        this.call = call;
        this.log('info', `session established with ${addr} as node ${accepted.nodeId}`);
        const period = accepted.heartbeatPeriodMs || 1000;
        const beat = () => {
          call.write({ heartbeat: {} });
          heartbeat = setTimeout(beat, jittered(period));
        };
        heartbeat = setTimeout(beat, jittered(period));
      },
    };
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
      const handlers = controllerHandlers(this.deps, stream);
      call.on('data', (m: ControllerMessage) => dispatchMessage(handlers, m));
      call.write({ hello: { description: this.describe(), tasks: this.worker.statuses() } });
    });
  }
}
