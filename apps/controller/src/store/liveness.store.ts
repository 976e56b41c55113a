/**
 * LivenessStore: node liveness on a connection pool of its own, so that
 * recording that agents are alive never waits behind the work of the main
 * pool (status batches, scheduling, API reads). Every time is the
 * database's clock (`now()`), so replicas with different clocks agree on
 * how long a node has been silent. One statement per call, whatever the
 * number of nodes.
 *
 * Each flush also stamps the flushing replica's own row. A node's silence
 * counts only when the replica holding its session has flushed at least the
 * node-down period after it last heard from the node: a replica whose
 * process stalls (a starved CPU, a long pause) then cannot make its nodes
 * look dead. "Flushed" is the flush before the last: a flush writes what
 * was heard before it started, and one held up (a frozen database) stamps
 * the late time it ran over that old batch. A replica silent for REPLICA_GONE_FACTOR node-down periods is
 * taken as gone (its agents dial another one), and its nodes' silence counts
 * on the clock alone.
 */
import { Injectable, OnModuleDestroy } from '@nestjs/common';
import pg from 'pg';
import { BerthConfig } from '../config/berth-config.js';

/** LIVENESS_POOL_SIZE: one connection for the flushes, one for the health check. */
const LIVENESS_POOL_SIZE = 2;
/** LIVENESS_QUERY_TIMEOUT_MS: a liveness statement that takes longer is abandoned (the next one retries). */
const LIVENESS_QUERY_TIMEOUT_MS = 10_000;
/** REPLICA_GONE_FACTOR: node-down periods (at least REPLICA_GONE_MIN_MS) after which a silent replica is gone. */
const REPLICA_GONE_FACTOR = 3;
const REPLICA_GONE_MIN_MS = 15_000;
/** REPLICA_FORGET: replicas' rows older than this are deleted. */
const REPLICA_FORGET = `interval '1 day'`;

/** DB_NOW: Prisma's DateTime columns hold UTC wall time without a zone. */
const DB_NOW = `(now() AT TIME ZONE 'UTC')`;

export interface Silence {
  /** Nodes that were ready or are down (the cluster the majority rule counts). */
  total: number;
  /** Nodes already down. */
  down: number;
  /** Ready nodes whose silence counts (see the header), the longest silent first. */
  silent: Array<{ id: string; silentMs: number }>;
}

@Injectable()
export class LivenessStore implements OnModuleDestroy {
  private readonly pool: pg.Pool;

  constructor(config: BerthConfig) {
    // Timed out on both ends: a frozen server enforces no statement_timeout, the client's query_timeout still fires.
    this.pool = new pg.Pool({
      connectionString: config.databaseUrl,
      max: LIVENESS_POOL_SIZE,
      statement_timeout: LIVENESS_QUERY_TIMEOUT_MS,
      query_timeout: LIVENESS_QUERY_TIMEOUT_MS,
      connectionTimeoutMillis: LIVENESS_QUERY_TIMEOUT_MS,
    });
    // An idle connection dropped by a Postgres restart: the pool makes a new one on the next query.
    this.pool.on('error', () => {});
  }

  async onModuleDestroy(): Promise<void> {
    await this.pool.end();
  }

  /**
   * touch stamps `replica` as running and records that it heard from these
   * nodes now, marking ready the ones that were not; returns those (nodes
   * that are back). Only a replica's flushes, one at a time, stamp it
   * (`stamp`); a session's start records its node alone.
   */
  async touch(replica: string, ids: string[], stamp = true): Promise<string[]> {
    const r = await this.pool.query<{ id: string; back: boolean }>(
      `WITH stamp AS (
         INSERT INTO "ControllerReplica" ("id", "lastFlushAt", "prevFlushAt") SELECT $2, ${DB_NOW}, ${DB_NOW} WHERE $3
         ON CONFLICT ("id") DO UPDATE SET "prevFlushAt" = "ControllerReplica"."lastFlushAt", "lastFlushAt" = EXCLUDED."lastFlushAt"),
       prev AS (SELECT "id", "status" FROM "Node" WHERE "id" = ANY($1::text[]))
       UPDATE "Node" AS n SET "lastHeartbeatAt" = ${DB_NOW}, "status" = 'ready', "sessionReplica" = $2,
         "statusMessage" = CASE WHEN prev."status" = 'ready' THEN n."statusMessage" ELSE '' END
       FROM prev WHERE n."id" = prev."id"
       RETURNING n."id", prev."status" <> 'ready' AS back`,
      [ids, replica, stamp],
    );
    return r.rows.filter((row) => row.back).map((row) => row.id);
  }

  /** silence lists the ready nodes whose silence of over `silentMs` counts. */
  async silence(silentMs: number): Promise<Silence> {
    const r = await this.pool.query<{ id: string; status: string; silent_ms: number | null; counts: boolean }>(
      `SELECT n."id", n."status", (EXTRACT(EPOCH FROM ${DB_NOW} - n."lastHeartbeatAt") * 1000)::float8 AS silent_ms,
         (n."lastHeartbeatAt" IS NULL OR r."id" IS NULL
          OR r."prevFlushAt" - n."lastHeartbeatAt" > make_interval(secs => $1::float8 / 1000)
          OR r."lastFlushAt" < ${DB_NOW} - make_interval(secs => $2::float8 / 1000)) AS counts
       FROM "Node" n LEFT JOIN "ControllerReplica" r ON r."id" = n."sessionReplica"
       WHERE n."status" IN ('ready', 'down')`,
      [silentMs, Math.max(REPLICA_GONE_MIN_MS, silentMs * REPLICA_GONE_FACTOR)],
    );
    const silent = r.rows
      .filter((row) => row.status === 'ready' && row.counts)
      .map((row) => ({ id: row.id, silentMs: row.silent_ms ?? Number.POSITIVE_INFINITY }))
      .filter((n) => n.silentMs > silentMs)
      .sort((a, b) => b.silentMs - a.silentMs);
    return { total: r.rows.length, down: r.rows.filter((row) => row.status === 'down').length, silent };
  }

  /**
   * markDown marks these nodes down if they are still ready and still silent
   * for longer than `silentMs` (a touch that came in meanwhile wins); returns
   * the ones it marked.
   */
  async markDown(ids: string[], silentMs: number, message: string): Promise<string[]> {
    if (!ids.length) return [];
    const r = await this.pool.query<{ id: string }>(
      `UPDATE "Node" SET "status" = 'down', "statusMessage" = $3
       WHERE "id" = ANY($1::text[]) AND "status" = 'ready'
         AND ("lastHeartbeatAt" IS NULL OR "lastHeartbeatAt" < ${DB_NOW} - make_interval(secs => $2::float8 / 1000))
       RETURNING "id"`,
      [ids, silentMs, message],
    );
    return r.rows.map((row) => row.id);
  }

  /** forgetReplicas deletes the rows of replicas silent for a day (each start of a controller makes a new one). */
  async forgetReplicas(): Promise<void> {
    await this.pool.query(`DELETE FROM "ControllerReplica" WHERE "lastFlushAt" < ${DB_NOW} - ${REPLICA_FORGET}`);
  }
}
