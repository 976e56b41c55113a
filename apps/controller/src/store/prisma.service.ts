/**
 * PrismaService: the one Prisma client of the process, over a node-postgres
 * pool it owns. The same pool (`sql`) serves the few hot reads a store
 * writes in SQL itself (list views under load), without Prisma's
 * per-query and per-row cost.
 */
import { Injectable, OnModuleDestroy, OnModuleInit } from '@nestjs/common';
import { PrismaPg } from '@prisma/adapter-pg';
import pg from 'pg';
import { PrismaClient } from './generated/client.js';
import { BerthConfig } from '../config/berth-config.js';

/** TX_OPTIONS: every transaction's wait for a pooled connection and its own time, generous under load. */
const TX_OPTIONS = { maxWait: 15_000, timeout: 30_000 };
/** POOL_SIZE: connections per replica (Prisma and the SQL reads together). */
const POOL_SIZE = 10;

@Injectable()
export class PrismaService extends PrismaClient implements OnModuleInit, OnModuleDestroy {
  /** sql: the pool under Prisma, for a store's own statements (its default type parsing: see the callers). */
  readonly sql: pg.Pool;

  constructor(config: BerthConfig) {
    const pool = new pg.Pool({ connectionString: config.databaseUrl, max: POOL_SIZE });
    super({ adapter: new PrismaPg(pool, { disposeExternalPool: true }), transactionOptions: TX_OPTIONS });
    this.sql = pool;
  }

  async onModuleInit(): Promise<void> {
    await this.$connect();
  }

  async onModuleDestroy(): Promise<void> {
    await this.$disconnect();
  }
}
