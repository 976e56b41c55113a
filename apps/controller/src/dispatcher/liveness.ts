/**
 * Liveness: which agents with a session on this replica were heard from.
 * Any message on a session counts (a heartbeat, a status batch, a log
 * chunk), and counting it is a map write: nothing waits on the database.
 * Every half heartbeat period the nodes heard since the last flush are
 * touched in one statement on LivenessStore's own pool, and their routes in
 * Redis rewritten; nodes that were down come back through their session.
 * The gap between two messages of a session is the heartbeat lag; a gap of
 * half the node-down period is logged, since it is on the way to a node
 * looking dead while it is alive.
 */
import { Injectable, Logger, OnModuleDestroy, OnModuleInit } from '@nestjs/common';
import { LivenessStore } from '../store/store.module.js';
import { BerthConfig } from '../config/berth-config.js';
import { NodeRouter } from './node-router.js';

/** LiveSession: what the tracker needs of a session. */
export interface LiveSession {
  /** back is called when the node had been marked down and is heard from again. */
  back(): void;
}

@Injectable()
export class Liveness implements OnModuleInit, OnModuleDestroy {
  private readonly log = new Logger('liveness');
  /** Sessions heard from since the last flush, by node. */
  private heard = new Map<string, LiveSession>();
  /** When each node's session was last heard from (performance.now()). */
  private readonly lastHeard = new Map<string, number>();
  private timer?: NodeJS.Timeout;
  private flushing = false;
  private failing = false;

  constructor(
    private readonly store: LivenessStore,
    private readonly router: NodeRouter,
    private readonly config: BerthConfig,
  ) {}

  onModuleInit(): void {
    this.timer = setInterval(() => void this.flush(), Math.max(50, Math.floor(this.config.heartbeatMs / 2)));
  }

  onModuleDestroy(): void {
    clearInterval(this.timer);
  }

  /** started records a new session's node as alive at once (and ready). */
  async started(nodeId: string): Promise<void> {
    this.lastHeard.set(nodeId, performance.now());
    await this.store.touch(this.config.replicaId, [nodeId], false);
  }

  /** seen: a message arrived on this node's session. */
  seen(nodeId: string, session: LiveSession): void {
    const now = performance.now();
    const prev = this.lastHeard.get(nodeId);
    if (prev !== undefined && now - prev > this.config.nodeDownMs / 2) {
      this.log.warn(`node ${nodeId}: ${Math.round(now - prev)} ms without a message (heartbeat every ${this.config.heartbeatMs} ms, down after ${this.config.nodeDownMs} ms)`);
    }
    this.lastHeard.set(nodeId, now);
    this.heard.set(nodeId, session);
  }

  /** ended forgets a session that closed. */
  ended(nodeId: string, session: LiveSession): void {
    if (this.heard.get(nodeId) === session) this.heard.delete(nodeId);
    // A newer session of the node resets this when it starts.
    this.lastHeard.delete(nodeId);
  }

  /**
   * flush stamps this replica as running and touches the nodes heard since
   * the last flush (none is a flush too: the stamp is what lets other
   * replicas tell this one's silent nodes from a stall of its own). One at
   * a time; a slow one lets the next gather more.
   */
  private async flush(): Promise<void> {
    if (this.flushing) return;
    this.flushing = true;
    const batch = this.heard;
    this.heard = new Map();
    try {
      const back = await this.store.touch(this.config.replicaId, [...batch.keys()]);
      for (const id of back) {
        this.log.log(`node ${id} is back`);
        batch.get(id)?.back();
      }
      if (batch.size) await this.router.refresh([...batch.keys()]);
      if (this.failing) this.log.log('liveness recorded again');
      this.failing = false;
    } catch (err) {
      // Not written: those nodes count as heard in the next flush.
      for (const [id, s] of batch) if (!this.heard.has(id)) this.heard.set(id, s);
      // Logged once per outage, not with every flush.
      if (!this.failing) this.log.warn(`liveness not recorded: ${(err as Error).message} (retried with every flush)`);
      this.failing = true;
    } finally {
      this.flushing = false;
    }
  }
}
