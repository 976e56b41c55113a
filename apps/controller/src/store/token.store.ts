/** TokenStore: API bearer tokens and agent join tokens, by SHA-256 only. */
import { createHash } from 'node:crypto';
import { Injectable } from '@nestjs/common';
import { PrismaService } from './prisma.service.js';
import { newId } from './ids.js';
import { lockIn } from './transactions.js';
import type { JoinToken } from './generated/client.js';
import { isUniqueViolation } from './resolve.js';

export const sha256 = (s: string) => createHash('sha256').update(s).digest('hex');

/**
 * API_TOKEN_CACHE_MS: how long a token found valid is taken as valid without
 * asking the database again (every API request carries one); a token whose
 * row is deleted stops working within this time on every replica. Tokens
 * not found are never cached, so a new one works at once.
 */
export const API_TOKEN_CACHE_MS = 5_000;

@Injectable()
export class TokenStore {
  /** Hashes of tokens found valid, with when that answer lapses. */
  private readonly valid = new Map<string, number>();
  /** Lookups in flight by hash: a burst of requests with one token is one query. */
  private readonly asking = new Map<string, Promise<boolean>>();

  constructor(private readonly db: PrismaService) {}

  async apiTokenValid(token: string): Promise<boolean> {
    const hash = sha256(token);
    const until = this.valid.get(hash);
    if (until !== undefined && until > Date.now()) return true;
    let asking = this.asking.get(hash);
    if (!asking) {
      asking = this.lookUp(hash).finally(() => this.asking.delete(hash));
      this.asking.set(hash, asking);
    }
    return asking;
  }

  private async lookUp(hash: string): Promise<boolean> {
    const found = (await this.db.apiToken.count({ where: { tokenHash: hash } })) > 0;
    if (found) this.valid.set(hash, Date.now() + API_TOKEN_CACHE_MS);
    else this.valid.delete(hash);
    return found;
  }

  async hasApiToken(name: string): Promise<boolean> {
    return (await this.db.apiToken.count({ where: { name } })) > 0;
  }

  /** addApiToken stores a token's hash; false when the name exists already (another replica won). */
  async addApiToken(name: string, token: string): Promise<boolean> {
    try {
      await this.db.apiToken.create({ data: { id: newId(), name, tokenHash: sha256(token) } });
      return true;
    } catch (err) {
      if (isUniqueViolation(err)) return false;
      throw err;
    }
  }

  newestJoinToken(role: string): Promise<JoinToken | null> {
    return this.db.joinToken.findFirst({ where: { role, revokedAt: null }, orderBy: { createdAt: 'desc' } });
  }

  /** addJoinToken inserts a token row under an advisory lock unless one exists; returns the current row. */
  addJoinTokenOnce(role: string, make: (id: string) => string): Promise<JoinToken> {
    return this.db.$transaction(async (tx) => {
      await lockIn(tx, 'join-token');
      const cur = await tx.joinToken.findFirst({ where: { role, revokedAt: null }, orderBy: { createdAt: 'desc' } });
      if (cur) return cur;
      const id = newId();
      return tx.joinToken.create({ data: { id, role, secretHash: sha256(make(id)) } });
    });
  }

  async joinSecretValid(secret: string): Promise<boolean> {
    return (await this.db.joinToken.count({ where: { secretHash: sha256(secret), revokedAt: null } })) > 0;
  }
}
