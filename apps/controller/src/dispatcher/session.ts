/**
 * AgentSession: one connected agent's bidirectional stream on this replica.
 * After Hello it registers with the NodeRouter, then serves status
 * batches and log chunks from the agent through one handler per message kind
 * (every message, heartbeats too, tells Liveness the node is alive), and
 * pushes complete assignment sets (coalescing bursts: at most one push in
 * flight, one more queued). Any stream error ends the session; the agent
 * builds a new one. docs/design/dispatcher.md tells the whole protocol.
 */
import { Logger } from '@nestjs/common';
import type { ServerDuplexStream } from '@grpc/grpc-js';
import type { AgentMessage, ControllerMessageInput, NodeDescription, TaskStatus } from '#libs/proto/messages.js';
import { dispatchMessage, type MessageHandlers } from '#libs/proto/dispatch.js';
import { NetworkStore, NodeStore, TaskStore, VolumeStore, type StatusReport } from '../store/store.module.js';
import type { Liveness, LiveSession } from './liveness.js';
import { JobQueue } from '../queue/queue.module.js';
import { BerthConfig } from '../config/berth-config.js';
import { NodeRouter, type LocalSession, type NodeRequest, type StreamChunk } from './node-router.js';
import { overlayPeers, toTaskSpec } from './assignments.js';
import { DriverName, TaskState, asMounts, isBuiltinNetwork, networkNames } from '#libs/common';
import type { PullAuthResolver } from './pull-auth.js';
import { ASSIGNMENT_SAFETY_MS, HELLO_TIMEOUT_MS } from './tunables.js';

export interface SessionDeps {
  nodes: NodeStore;
  tasks: TaskStore;
  queue: JobQueue;
  router: NodeRouter;
  config: BerthConfig;
  pullAuth: PullAuthResolver;
  networks: NetworkStore;
  volumes: VolumeStore;
  liveness: Liveness;
}

function toReport(s: TaskStatus): StatusReport {
  return {
    taskId: s.taskId,
    state: s.state,
    message: s.message,
    error: s.error,
    address: s.address,
    // Addresses are known once a task runs; earlier states carry none and must not clear them.
    ...(s.state >= TaskState.RUNNING ? { addresses: s.addresses } : {}),
    ...(s.imageVolumes.length ? { imageVolumes: s.imageVolumes } : {}),
    ...(s.hasExitCode ? { exitCode: s.exitCode } : {}),
    at: s.timestampMs ? new Date(s.timestampMs) : new Date(),
  };
}

function describe(d: NodeDescription) {
  return { hostname: d.hostname || 'unknown', cpus: d.cpus, memoryBytes: d.memoryBytes, labels: d.labels, addr: d.addr, agentVersion: d.agentVersion, volumePlugins: d.volumePlugins };
}

export class AgentSession implements LocalSession, LiveSession {
  readonly registeredAt = Date.now();
  private readonly log = new Logger('session');
  private sequence = 0;
  private pushing = false;
  private pushAgain = false;
  private closed = false;
  private safety?: NodeJS.Timeout;
  /** Open request streams (logs, ...) by request id. */
  private readonly streams = new Map<string, (c: StreamChunk) => void>();
  /** Statuses waiting to be applied; one application runs at a time, later batches merge. */
  private pendingStatuses: TaskStatus[] = [];
  private applying?: Promise<void>;

  constructor(
    private readonly call: ServerDuplexStream<AgentMessage, ControllerMessageInput>,
    readonly nodeId: string,
    private readonly d: SessionDeps,
  ) {}

  /**
   * What each message from a started session does. A heartbeat only says the
   * agent is there, which every message does (run() counts them); a second
   * Hello changes nothing. Request results go to the stream that asked.
   */
  private readonly handlers: MessageHandlers<AgentMessage, void | Promise<void>> = {
    hello: () => {},
    heartbeat: () => {},
    statuses: (b) => this.queueStatuses(b.statuses),
    log: (c) => this.answer(c.requestId, { items: c.lines, eof: c.eof, error: c.error }),
    pullProgress: (p) => this.answer(p.requestId, { items: [{ layers: p.layers, digest: p.digest }], eof: p.eof, error: p.error }),
    pruneResult: (r) => this.answer(r.requestId, { items: [{ removedImages: r.removedImages, bytesFreed: r.bytesFreed }], eof: true, error: r.error }),
    volumeRemoveResult: (r) => this.answer(r.requestId, { items: [{ removed: r.removed }], eof: true, error: r.error }),
    buildOutput: (o) => this.answer(o.requestId, { items: [{ lines: o.lines, imageDigest: o.imageDigest }], eof: o.eof, error: o.error }),
    nodeUpdate: async (d) => {
      await this.d.nodes.described(this.nodeId, describe(d));
      await this.d.queue.reconcileAll();
    },
  };

  run(): void {
    const helloTimer = setTimeout(() => this.end('no Hello within 10 s'), HELLO_TIMEOUT_MS);
    let started = false;
    this.call.on('data', (m: AgentMessage) => {
      if (!started) {
        if (!m.hello) return this.end('first message was not Hello');
        if (!m.hello.description) return this.end('Hello without a description');
        started = true;
        clearTimeout(helloTimer);
        this.start(m.hello.description, m.hello.tasks).catch((err) => this.end(`session start failed: ${(err as Error).message}`));
        return;
      }
      this.d.liveness.seen(this.nodeId, this);
      this.onMessage(m).catch((err) => this.log.error(`node ${this.nodeId}: ${(err as Error).message}`));
    });
    this.call.on('error', () => this.end());
    this.call.on('end', () => this.end());
    this.call.on('cancelled', () => this.end());
  }

  private async start(desc: NodeDescription, tasks: TaskStatus[]): Promise<void> {
    await this.d.liveness.started(this.nodeId);
    await this.d.nodes.described(this.nodeId, describe(desc));
    await this.applyStatuses(tasks);
    await this.d.router.register(this.nodeId, this);
    this.log.log(`node ${this.nodeId} (${desc.hostname}) connected`);
    this.send({ accepted: { nodeId: this.nodeId, heartbeatPeriodMs: this.d.config.heartbeatMs, vipPool: this.d.config.vipPool } });
    this.pushAssignments();
    this.safety = setInterval(() => this.pushAssignments(), ASSIGNMENT_SAFETY_MS);
    // A node that became ready may take waiting tasks.
    await this.d.queue.reconcileAll();
  }

  private async onMessage(m: AgentMessage): Promise<void> {
    await dispatchMessage(this.handlers, m);
  }

  /** back: the node had been marked down and is heard from again; it may have missed changes, and may take tasks. */
  back(): void {
    this.pushAssignments();
    void this.d.queue.reconcileAll();
  }

  private answer(requestId: string, c: StreamChunk): void {
    const h = this.streams.get(requestId);
    if (!h) return;
    h(c);
    if (c.eof || c.error) this.streams.delete(requestId);
  }

  /**
   * queueStatuses applies reports in arrival order, one transaction at a time.
   * If applying fails, the session ends: the agent reconnects and its Hello
   * carries every task's status again, so no report is lost.
   */
  private queueStatuses(statuses: TaskStatus[]): void {
    this.pendingStatuses.push(...statuses);
    this.applying ??= (async () => {
      try {
        while (this.pendingStatuses.length && !this.closed) await this.applyStatuses(this.pendingStatuses.splice(0));
      } catch (err) {
        this.end(`applying task statuses failed: ${(err as Error).message}`);
      } finally {
        this.applying = undefined;
      }
    })();
  }

  private async applyStatuses(statuses: TaskStatus[]): Promise<void> {
    const { terminalServices, networks } = await this.d.tasks.applyReports(this.nodeId, statuses.map(toReport));
    for (const s of terminalServices) await this.d.queue.reconcileService(s);
    // Overlay peers changed: every node on those networks gets its new peer table.
    const overlays = (await this.d.networks.byNames(networks.filter((n) => !isBuiltinNetwork(n)))).filter((n) => n.driver === DriverName.OVERLAY).map((n) => n.name);
    if (overlays.length) await this.d.router.notifyNodes(await this.d.tasks.nodesOnNetworks(overlays));
  }

  private send(m: ControllerMessageInput): void {
    if (!this.closed) this.call.write(m);
  }

  pushAssignments(): void {
    if (this.closed) return;
    if (this.pushing) {
      this.pushAgain = true;
      return;
    }
    this.pushing = true;
    this.d.tasks
      .forNode(this.nodeId)
      .then(async (rows) => {
        const auth = await this.d.pullAuth.forImages(rows.filter((r) => r.desiredState <= TaskState.RUNNING).map((r) => r.image));
        const nets = new Map((await this.d.networks.byNames([...new Set(rows.flatMap((r) => networkNames(r.networks)))])).map((n) => [n.name, n]));
        const volumes = new Map(
          (
            await this.d.volumes.byNames([
              ...new Set(
                rows.flatMap((r) =>
                  asMounts(r.mounts)
                    .filter((m) => m.type === 'volume')
                    .map((m) => m.source),
                ),
              ),
            ])
          ).map((v) => [v.name, v]),
        );
        const tasks = rows.map((r) => ({ ...toTaskSpec(r, nets, volumes), ...(auth.has(r.image) ? { pullAuth: auth.get(r.image) } : {}) }));
        const overlayNets = [...nets.values()].filter((n) => n.driver === DriverName.OVERLAY).map((n) => n.name);
        const overlays = overlayPeers(overlayNets, await this.d.networks.overlayMembers(overlayNets), this.nodeId);
        this.send({ assignments: { tasks, sequence: ++this.sequence, overlays } });
      })
      .catch((err) => this.log.error(`assignments for ${this.nodeId}: ${(err as Error).message}`))
      .finally(() => {
        this.pushing = false;
        if (this.pushAgain) {
          this.pushAgain = false;
          this.pushAssignments();
        }
      });
  }

  openStream(req: NodeRequest, requestId: string, onChunk: (c: StreamChunk) => void): () => void {
    this.streams.set(requestId, onChunk);
    switch (req.kind) {
      case 'logs':
        this.send({ logRequest: { requestId, taskId: req.taskId, follow: req.follow, tail: req.tail, sinceMs: req.sinceMs } });
        return () => {
          if (this.streams.delete(requestId)) this.send({ logCancel: { requestId } });
        };
      case 'pull':
        this.send({ pullRequest: { requestId, image: req.image, auth: req.auth } });
        return () => void this.streams.delete(requestId);
      case 'prune':
        this.send({ pruneRequest: { requestId } });
        return () => void this.streams.delete(requestId);
      case 'volume-rm':
        this.send({ volumeRemoveRequest: { requestId, names: req.names, drivers: req.drivers ?? {} } });
        return () => void this.streams.delete(requestId);
      case 'build': {
        const { kind: _, ...build } = req;
        this.send({ buildRequest: { requestId, ...build } });
        return () => {
          if (this.streams.delete(requestId)) this.send({ buildCancel: { requestId } });
        };
      }
    }
  }

  end(reason?: string): void {
    if (this.closed) return;
    this.closed = true;
    if (this.safety) clearInterval(this.safety);
    for (const h of this.streams.values()) h({ items: [], eof: true, error: 'node disconnected' });
    this.streams.clear();
    if (reason) this.log.warn(`node ${this.nodeId}: session closed: ${reason}`);
    this.d.liveness.ended(this.nodeId, this);
    void this.d.router.unregister(this.nodeId, this);
    try {
      this.call.end();
    } catch {
      /* already closed */
    }
  }
}
