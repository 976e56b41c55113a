/**
 * Transactions: how any role runs work in one Postgres transaction, alone
 * cluster-wide for a key (a transaction-scoped advisory lock, released at
 * commit or rollback). Stores take the `tx` it hands out, so a role's
 * reads and writes inside fn commit together.
 */
import { Injectable } from '@nestjs/common';
import { PrismaService } from './prisma.service.js';
import type { Prisma } from './generated/client.js';
import type { Attachment } from '#libs/common';

export type Tx = Prisma.TransactionClient;

/**
 * The allocator's part in a store's transaction, passed in by the caller
 * (the store never imports the allocator): addresses for each task's
 * attachments, and a virtual IP (or an error when the pool is full).
 */
export type AllocateAddresses = (tx: Tx, perTask: Attachment[][]) => Promise<Attachment[][]>;
export type AllocateVip = (tx: Tx) => Promise<string>;

/** lockIn takes the advisory lock on `key` for the rest of transaction tx. */
export async function lockIn(tx: Tx, key: string): Promise<void> {
  await tx.$executeRaw`SELECT pg_advisory_xact_lock(hashtext(${key}))`;
}

@Injectable()
export class Transactions {
  constructor(private readonly db: PrismaService) {}

  /** withLock runs fn in a transaction holding the advisory lock on `key`. */
  withLock<T>(key: string, fn: (tx: Tx) => Promise<T>): Promise<T> {
    return this.db.$transaction(async (tx) => {
      await lockIn(tx, key);
      return fn(tx);
    });
  }
}
