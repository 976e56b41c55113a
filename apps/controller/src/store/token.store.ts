/** TokenStore: API bearer tokens and agent join tokens, by SHA-256 only. */
import { createHash } from 'node:crypto';
import { Injectable } from '@nestjs/common';
import { PrismaService } from './prisma.service.js';
import { newId } from './ids.js';
import { lockIn } from './transactions.js';
import type { JoinToken } from './generated/client.js';

export const sha256 = (s: string) => createHash('sha256').update(s).digest('hex');

@Injectable()
export class TokenStore {
  constructor(private readonly db: PrismaService) {}

  async apiTokenValid(token: string): Promise<boolean> {
    return (await this.db.apiToken.count({ where: { tokenHash: sha256(token) } })) > 0;
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
      if ((err as { code?: string }).code === 'P2002') return false;
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
