/**
 * LivenessStore: node liveness on a connection pool of its own, so that
 * recording that agents are alive never waits behind the work of the main
 * pool (status batches, scheduling, API reads). Every time is the
 * database's clock (`now()`), so replicas with different clocks agree on
 * how long a node has been silent. One statement per call, whatever the
 * number of nodes.
 */
import { Injectable, OnModuleDestroy } from '@nestjs/common';
import pg from 'pg';
import { BerthConfig } from '../config/berth-config.js';

/** LIVENESS_POOL_SIZE: one connection for the touches, one for the health check. */
const LIVENESS_POOL_SIZE = 2;
/** LIVENESS_QUERY_TIMEOUT_MS: a liveness statement that takes longer is abandoned (the next one retries). */
const LIVENESS_QUERY_TIMEOUT_MS = 10_000;

/** DB_NOW: Prisma's DateTime columns hold UTC wall time without a zone. */
const DB_NOW = `(now() AT TIME ZONE 'UTC')`;

export interface Silence {
  /** Ready nodes in the cluster, silent or not. */
  ready: number;
  /** Ready nodes silent for longer than the period asked about, the longest silent first. */
  silent: Array<{ id: string; silentMs: number }>;
}

@Injectable()
export class LivenessStore implements OnModuleDestroy {
  private readonly pool: pg.Pool;

  constructor(config: BerthConfig) {
    this.pool = new pg.Pool({ connectionString: config.databaseUrl, max: LIVENESS_POOL_SIZE, statement_timeout: LIVENESS_QUERY_TIMEOUT_MS, connectionTimeoutMillis: LIVENESS_QUERY_TIMEOUT_MS });
    // An idle connection dropped by a Postgres restart: the pool makes a new one on the next query.
    this.pool.on('error', () => {});
  }

  async onModuleDestroy(): Promise<void> {
    await this.pool.end();
  }

  /**
   * touch records that these nodes were heard from now, and marks ready the
   * ones that were not; returns those (nodes that are back).
   */
  async touch(ids: string[]): Promise<string[]> {
    if (!ids.length) return [];
    const r = await this.pool.query<{ id: string; back: boolean }>(
      `WITH prev AS (SELECT "id", "status" FROM "Node" WHERE "id" = ANY($1::text[]))
       UPDATE "Node" AS n SET "lastHeartbeatAt" = ${DB_NOW}, "status" = 'ready',
         "statusMessage" = CASE WHEN prev."status" = 'ready' THEN n."statusMessage" ELSE '' END
       FROM prev WHERE n."id" = prev."id"
       RETURNING n."id", prev."status" <> 'ready' AS back`,
      [ids],
    );
    return r.rows.filter((row) => row.back).map((row) => row.id);
  }

  /** silence lists the ready nodes not heard from for longer than `silentMs`. */
  async silence(silentMs: number): Promise<Silence> {
    const r = await this.pool.query<{ id: string; silent_ms: number | null }>(
      `SELECT "id", (EXTRACT(EPOCH FROM ${DB_NOW} - "lastHeartbeatAt") * 1000)::float8 AS silent_ms
       FROM "Node" WHERE "status" = 'ready'`,
    );
    const silent = r.rows
      .map((row) => ({ id: row.id, silentMs: row.silent_ms ?? Number.POSITIVE_INFINITY }))
      .filter((n) => n.silentMs > silentMs)
      .sort((a, b) => b.silentMs - a.silentMs);
    return { ready: r.rows.length, silent };
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
}
