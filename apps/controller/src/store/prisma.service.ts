/** PrismaService: the one Prisma client of the process, over node-postgres. */
import { Injectable, OnModuleDestroy, OnModuleInit } from '@nestjs/common';
import { PrismaPg } from '@prisma/adapter-pg';
import { PrismaClient } from './generated/client.js';
import { BerthConfig } from '../config/berth-config.js';

/** TX_OPTIONS: every transaction's wait for a pooled connection and its own time, generous under load. */
const TX_OPTIONS = { maxWait: 15_000, timeout: 30_000 };

@Injectable()
export class PrismaService extends PrismaClient implements OnModuleInit, OnModuleDestroy {
  constructor(config: BerthConfig) {
    super({ adapter: new PrismaPg({ connectionString: config.databaseUrl, max: 10 }), transactionOptions: TX_OPTIONS });
  }

  async onModuleInit(): Promise<void> {
    await this.$connect();
  }

  async onModuleDestroy(): Promise<void> {
    await this.$disconnect();
  }
}
