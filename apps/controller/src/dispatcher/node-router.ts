/**
 * NodeRouter: reaches an agent whatever replica holds its session. Local
 * sessions are called directly; for others, the owner is looked up in Redis
 * (`<prefix>:session:<nodeId>` = replica id) and the request published on
 * that replica's channel. Log streams come back on a per-request channel.
 * Redis holds only this routing: losing it loses no state.
 */
import { Injectable, Logger, OnModuleDestroy, OnModuleInit } from '@nestjs/common';
import { randomUUID } from 'node:crypto';
import { Redis } from 'ioredis';
import { BerthConfig } from '../config/berth-config.js';
import type { LogLine } from '../../../../libs/proto/messages.js';
import { REMOTE_LOG_ANSWER_MS, SESSION_KEY_TTL_FACTOR } from './tunables.js';

export class NodeUnavailableError extends Error {
  constructor(nodeId: string) {
    super(`node ${nodeId} is not connected`);
  }
}
export class LogStreamError extends Error {}

export interface LogReq { taskId: string; follow: boolean; tail: number }

/** LocalSession is what a session on this replica offers the router. */
export interface LocalSession {
  pushAssignments(): void;
  streamLogs(req: LogReq, requestId: string, onLines: (lines: LogLine[], eof: boolean, error: string) => void): () => void;
}

type RouterMessage =
  | { type: 'notify'; nodeIds: string[] }
  | { type: 'logs'; requestId: string; nodeId: string; req: LogReq }
  | { type: 'logs-cancel'; requestId: string };

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
  }

  private key(nodeId: string) { return `${this.config.queuePrefix}:session:${nodeId}`; }
  private channel(replica: string) { return `${this.config.queuePrefix}:replica:${replica}`; }

  async onModuleInit(): Promise<void> {
    await Promise.all([this.pub.connect(), this.sub.connect()]);
    this.sub.on('message', (ch: string, raw: string) => {
      if (ch !== this.channel(this.config.replicaId)) return;
      try {
        this.onMessage(JSON.parse(raw) as RouterMessage);
      } catch (err) {
        this.log.error(`bad router message: ${(err as Error).message}`);
      }
    });
    await this.sub.subscribe(this.channel(this.config.replicaId));
  }

  async onModuleDestroy(): Promise<void> {
    for (const nodeId of this.local.keys()) await this.pub.del(this.key(nodeId)).catch(() => {});
    this.sub.disconnect();
    this.pub.disconnect();
  }

  private ttlSec(): number {
    return Math.ceil((this.config.nodeDownMs * SESSION_KEY_TTL_FACTOR) / 1000);
  }

  async register(nodeId: string, s: LocalSession): Promise<void> {
    this.local.set(nodeId, s);
    await this.pub.set(this.key(nodeId), this.config.replicaId, 'EX', this.ttlSec());
  }

  async refresh(nodeId: string): Promise<void> {
    if (this.local.has(nodeId)) await this.pub.set(this.key(nodeId), this.config.replicaId, 'EX', this.ttlSec());
  }

  async unregister(nodeId: string, s: LocalSession): Promise<void> {
    if (this.local.get(nodeId) !== s) return;
    this.local.delete(nodeId);
    const owner = await this.pub.get(this.key(nodeId));
    if (owner === this.config.replicaId) await this.pub.del(this.key(nodeId));
  }

  private onMessage(m: RouterMessage): void {
    if (m.type === 'notify') {
      for (const id of m.nodeIds) this.local.get(id)?.pushAssignments();
    } else if (m.type === 'logs') {
      const reply = `${this.config.queuePrefix}:logs:${m.requestId}`;
      const s = this.local.get(m.nodeId);
      if (!s) {
        void this.pub.publish(reply, JSON.stringify({ lines: [], eof: true, error: 'node not connected here' }));
        return;
      }
      const cancel = s.streamLogs(m.req, m.requestId, (lines, eof, error) => {
        void this.pub.publish(reply, JSON.stringify({ lines, eof, error }));
        if (eof) this.relays.delete(m.requestId);
      });
      this.relays.set(m.requestId, cancel);
    } else if (m.type === 'logs-cancel') {
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
    const owners = await this.pub.mget(remote.map((id) => this.key(id)));
    const byReplica = new Map<string, string[]>();
    remote.forEach((id, i) => {
      const o = owners[i];
      if (o && o !== this.config.replicaId) byReplica.set(o, [...(byReplica.get(o) ?? []), id]);
    });
    for (const [replica, ids] of byReplica) await this.pub.publish(this.channel(replica), JSON.stringify({ type: 'notify', nodeIds: ids }));
  }

  /** streamLogs yields a task's log lines from its node, wherever its session is. */
  async *streamLogs(nodeId: string, req: LogReq, signal: AbortSignal): AsyncGenerator<LogLine> {
    const requestId = randomUUID();
    const queue: Array<{ lines: LogLine[]; eof: boolean; error: string }> = [];
    let wake: (() => void) | undefined;
    const push = (lines: LogLine[], eof: boolean, error: string) => {
      queue.push({ lines, eof, error });
      wake?.();
    };
    let cancel: () => void;
    let sub: Redis | undefined;
    const s = this.local.get(nodeId);
    if (s) cancel = s.streamLogs(req, requestId, push);
    else {
      const owner = await this.pub.get(this.key(nodeId));
      if (!owner) throw new NodeUnavailableError(nodeId);
      sub = this.sub.duplicate();
      const reply = `${this.config.queuePrefix}:logs:${requestId}`;
      sub.on('message', (_c: string, raw: string) => {
        const m = JSON.parse(raw) as { lines: LogLine[]; eof: boolean; error: string };
        push(m.lines, m.eof, m.error);
      });
      await sub.subscribe(reply);
      await this.pub.publish(this.channel(owner), JSON.stringify({ type: 'logs', requestId, nodeId, req }));
      cancel = () => void this.pub.publish(this.channel(owner), JSON.stringify({ type: 'logs-cancel', requestId }));
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
        if (m.error) throw new LogStreamError(m.error);
        yield* m.lines;
        if (m.eof) return;
      }
    } finally {
      signal.removeEventListener('abort', onAbort);
      if (queue.length === 0 || !queue[queue.length - 1]!.eof) cancel();
      sub?.disconnect();
    }
  }
}
