/**
 * NodeRouter: reaches an agent whatever replica holds its session. Local
 * sessions are called directly; for others, the owner is looked up in Redis
 * (`<prefix>:session:<nodeId>` = replica id) and the request published on
 * that replica's channel. Streams an agent answers a request with (log
 * lines, and later pull progress and build output) come back on a
 * per-request channel.
 * Redis holds only this routing: losing it loses no state.
 */
import { Injectable, Logger, OnModuleDestroy, OnModuleInit } from '@nestjs/common';
import { randomUUID } from 'node:crypto';
import { Redis } from 'ioredis';
import { BerthConfig } from '../config/berth-config.js';
import type { BuildRequest, LogLine, PullAuth } from '#libs/proto/messages.js';
import { REMOTE_LOG_ANSWER_MS, SESSION_KEY_TTL_FACTOR } from './tunables.js';

export class NodeUnavailableError extends Error {
  constructor(nodeId: string) {
    super(`node ${nodeId} is not connected`);
  }
}
export class LogStreamError extends Error {}

export interface LogReq {
  taskId: string;
  follow: boolean;
  tail: number;
  /** Lines from this time on (Unix ms; 0: all). */
  sinceMs: number;
}

/** NodeRequest: what an agent can be asked for; it answers with a stream of chunks. */
export type NodeRequest =
  | ({ kind: 'logs' } & LogReq)
  | ({ kind: 'build' } & Omit<BuildRequest, 'requestId'>)
  | { kind: 'pull'; image: string; auth?: PullAuth }
  | { kind: 'prune' }
  | { kind: 'volume-rm'; names: string[]; drivers?: Record<string, string> };

/** StreamChunk: part of an answer; the last one has eof or an error. */
export interface StreamChunk {
  items: unknown[];
  eof: boolean;
  error: string;
}

/** LocalSession is what a session on this replica offers the router. */
export interface LocalSession {
  /** When the session registered, on this replica's clock (ms since the epoch). */
  readonly registeredAt: number;
  pushAssignments(): void;
  /** end closes the session; the agent opens a new one if it is still there. */
  end(reason: string): void;
  /** openStream sends the request to the agent; returns a cancel function. */
  openStream(req: NodeRequest, requestId: string, onChunk: (c: StreamChunk) => void): () => void;
}

type RouterMessage =
  | { type: 'notify'; nodeIds: string[] }
  | { type: 'replaced'; nodeId: string; replica: string; at: number }
  | { type: 'open'; requestId: string; nodeId: string; req: NodeRequest }
  | { type: 'cancel'; requestId: string };

@Injectable()
export class NodeRouter implements OnModuleInit, OnModuleDestroy {
  private readonly log = new Logger('node-router');
  private readonly local = new Map<string, LocalSession>();
  private readonly relays = new Map<string, () => void>();
  private readonly pub: Redis;
  private readonly sub: Redis;

  constructor(private readonly config: BerthConfig) {
    this.pub = new Redis(config.redisUrl, { lazyConnect: true, maxRetriesPerRequest: 3 });
    this.sub = new Redis(config.redisUrl, { lazyConnect: true });
    // Both reconnect by themselves (sub re-subscribes); an outage is logged once.
    let down = false;
    for (const r of [this.pub, this.sub]) {
      r.on('error', (err: Error) => {
        if (!down) this.log.warn(`Redis: ${err.message}`);
        down = true;
      });
      r.on('ready', () => (down = false));
    }
  }

  private key(nodeId: string) {
    return `${this.config.queuePrefix}:session:${nodeId}`;
  }
  private channel(replica: string) {
    return `${this.config.queuePrefix}:replica:${replica}`;
  }
  /** Every replica listens here for sessions that moved to another replica. */
  private get broadcast() {
    return `${this.config.queuePrefix}:replicas`;
  }

  async onModuleInit(): Promise<void> {
    await Promise.all([this.pub.connect(), this.sub.connect()]);
    this.sub.on('message', (ch: string, raw: string) => {
      if (ch !== this.channel(this.config.replicaId) && ch !== this.broadcast) return;
      try {
        this.onMessage(JSON.parse(raw) as RouterMessage);
      } catch (err) {
        this.log.error(`bad router message: ${(err as Error).message}`);
      }
    });
    await this.sub.subscribe(this.channel(this.config.replicaId), this.broadcast);
  }

  async onModuleDestroy(): Promise<void> {
    for (const nodeId of this.local.keys()) await this.pub.del(this.key(nodeId)).catch(() => {});
    this.sub.disconnect();
    this.pub.disconnect();
  }

  private ttlSec(): number {
    return Math.ceil((this.config.nodeDownMs * SESSION_KEY_TTL_FACTOR) / 1000);
  }

  /**
   * register makes this replica the route to a node. An older session of the
   * same node (its agent reconnected: to this replica, or to another while
   * the old connection was not yet seen dead) is ended, here or on the
   * replica that holds it. Redis being away does not fail the session: the
   * route is written again with every liveness flush (refresh).
   */
  async register(nodeId: string, s: LocalSession): Promise<void> {
    const old = this.local.get(nodeId);
    this.local.set(nodeId, s);
    if (old && old !== s) old.end('replaced by a newer session of the same node');
    await this.bestEffort('session route', async () => {
      await this.pub.set(this.key(nodeId), this.config.replicaId, 'EX', this.ttlSec());
      await this.pub.publish(this.broadcast, JSON.stringify({ type: 'replaced', nodeId, replica: this.config.replicaId, at: s.registeredAt } satisfies RouterMessage));
    });
  }

  /** refresh rewrites the routes of these nodes' local sessions (they expire, and an emptied Redis lost them). */
  async refresh(nodeIds: string[]): Promise<void> {
    const mine = nodeIds.filter((id) => this.local.has(id));
    if (!mine.length) return;
    await this.bestEffort('session routes', async () => {
      const p = this.pub.pipeline();
      for (const id of mine) p.set(this.key(id), this.config.replicaId, 'EX', this.ttlSec());
      await p.exec();
    });
  }

  async unregister(nodeId: string, s: LocalSession): Promise<void> {
    if (this.local.get(nodeId) !== s) return;
    this.local.delete(nodeId);
    await this.bestEffort('session route', async () => {
      const owner = await this.pub.get(this.key(nodeId));
      if (owner === this.config.replicaId) await this.pub.del(this.key(nodeId));
    });
  }

  /** bestEffort runs a routing write, logging instead of failing when Redis is away. */
  private async bestEffort(what: string, fn: () => Promise<void>): Promise<void> {
    try {
      await fn();
    } catch (err) {
      this.log.warn(`${what} not written: ${(err as Error).message}`);
    }
  }

  private onMessage(m: RouterMessage): void {
    if (m.type === 'notify') {
      for (const id of m.nodeIds) this.local.get(id)?.pushAssignments();
    } else if (m.type === 'replaced') {
      const s = this.local.get(m.nodeId);
      if (m.replica !== this.config.replicaId && s && s.registeredAt < m.at) s.end(`the node opened a newer session on ${m.replica}`);
    } else if (m.type === 'open') {
      const reply = this.replyChannel(m.requestId);
      const s = this.local.get(m.nodeId);
      if (!s) {
        void this.pub.publish(reply, JSON.stringify({ items: [], eof: true, error: 'node not connected here' } satisfies StreamChunk));
        return;
      }
      const cancel = s.openStream(m.req, m.requestId, (c) => {
        void this.pub.publish(reply, JSON.stringify(c));
        if (c.eof || c.error) this.relays.delete(m.requestId);
      });
      this.relays.set(m.requestId, cancel);
    } else if (m.type === 'cancel') {
      this.relays.get(m.requestId)?.();
      this.relays.delete(m.requestId);
    }
  }

  /** notifyNodes: these nodes' assignment sets may have changed; their session owners push them. */
  async notifyNodes(nodeIds: string[]): Promise<void> {
    const remote: string[] = [];
    for (const id of new Set(nodeIds)) {
      const s = this.local.get(id);
      if (s) s.pushAssignments();
      else remote.push(id);
    }
    if (!remote.length) return;
    // Without Redis the other replicas' sessions still re-send their sets every ASSIGNMENT_SAFETY_MS.
    await this.bestEffort('notify', async () => {
      const owners = await this.pub.mget(remote.map((id) => this.key(id)));
      const byReplica = new Map<string, string[]>();
      remote.forEach((id, i) => {
        const o = owners[i];
        if (o && o !== this.config.replicaId) byReplica.set(o, [...(byReplica.get(o) ?? []), id]);
      });
      for (const [replica, ids] of byReplica) await this.pub.publish(this.channel(replica), JSON.stringify({ type: 'notify', nodeIds: ids } satisfies RouterMessage));
    });
  }

  private replyChannel(requestId: string) {
    return `${this.config.queuePrefix}:reply:${requestId}`;
  }

  /** streamLogs yields a task's log lines from its node, wherever its session is. */
  streamLogs(nodeId: string, req: LogReq, signal: AbortSignal): AsyncGenerator<LogLine> {
    return this.stream<LogLine>(nodeId, { kind: 'logs', ...req }, signal);
  }

  /**
   * stream sends a request to a node's agent, wherever its session is, and
   * yields the items of its answer until eof. An error chunk throws
   * LogStreamError with the agent's message; no session anywhere, or no
   * answer from the replica said to hold it, is NodeUnavailableError.
   */
  async *stream<T>(nodeId: string, req: NodeRequest, signal: AbortSignal): AsyncGenerator<T> {
    const requestId = randomUUID();
    const queue: StreamChunk[] = [];
    let wake: (() => void) | undefined;
    const push = (c: StreamChunk) => {
      queue.push(c);
      wake?.();
    };
    let cancel: () => void;
    let sub: Redis | undefined;
    const s = this.local.get(nodeId);
    if (s) cancel = s.openStream(req, requestId, push);
    else {
      const owner = await this.pub.get(this.key(nodeId));
      if (!owner) throw new NodeUnavailableError(nodeId);
      sub = this.sub.duplicate();
      sub.on('message', (_c: string, raw: string) => push(JSON.parse(raw) as StreamChunk));
      await sub.subscribe(this.replyChannel(requestId));
      await this.pub.publish(this.channel(owner), JSON.stringify({ type: 'open', requestId, nodeId, req } satisfies RouterMessage));
      cancel = () => void this.pub.publish(this.channel(owner), JSON.stringify({ type: 'cancel', requestId } satisfies RouterMessage));
    }
    const onAbort = () => wake?.();
    signal.addEventListener('abort', onAbort);
    let first = true;
    try {
      while (!signal.aborted) {
        if (!queue.length) {
          const answered = await new Promise<boolean>((resolve) => {
            wake = () => resolve(true);
            if (first && sub) setTimeout(() => resolve(false), REMOTE_LOG_ANSWER_MS);
          });
          wake = undefined;
          if (!answered && !queue.length) throw new NodeUnavailableError(nodeId);
          continue;
        }
        first = false;
        const m = queue.shift()!;
        yield* m.items as T[];
        if (m.error) throw new LogStreamError(m.error);
        if (m.eof) return;
      }
    } finally {
      signal.removeEventListener('abort', onAbort);
      if (queue.length === 0 || !queue[queue.length - 1].eof) cancel();
      sub?.disconnect();
    }
  }
}
