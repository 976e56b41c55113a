/** CaStore: the single cluster CA row. */
import { Injectable } from '@nestjs/common';
import { PrismaService } from './prisma.service.js';
import type { ClusterCA } from './generated/client.js';
import { isUniqueViolation } from './resolve.js';

@Injectable()
export class CaStore {
  constructor(private readonly db: PrismaService) {}

  get(): Promise<ClusterCA | null> {
    return this.db.clusterCA.findUnique({ where: { id: 1 } });
  }

  /** createOnce inserts the CA unless another replica already did; returns the stored one. */
  async createOnce(ca: { certPem: string; keyPem: string; digest: string }): Promise<ClusterCA> {
    try {
      return await this.db.clusterCA.create({ data: { id: 1, ...ca } });
    } catch (err) {
      if (!isUniqueViolation(err)) throw err;
      return (await this.get())!;
    }
  }
}
