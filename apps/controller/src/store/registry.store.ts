/**
 * RegistryStore: who may use the cluster's registry (users with password
 * hashes, repository settings, per-repository grants), the token signing
 * key row, and encrypted credentials for other registries. Hashing and
 * encryption happen in registry/; only their results are stored here.
 */
import { Injectable } from '@nestjs/common';
import { PrismaService } from './prisma.service.js';
import { newId } from './ids.js';
import { ConflictError, isUniqueViolation, NotFoundError } from './resolve.js';
import type { RegistryCredential, RegistryKey, RegistryRepo, RegistryUser } from './generated/client.js';

export type { RegistryCredential, RegistryRepo, RegistryUser };
export interface RepoWithGrants extends RegistryRepo {
  grants: Array<{ user: string; actions: string[] }>;
}

@Injectable()
export class RegistryStore {
  constructor(private readonly db: PrismaService) {}

  userByName(name: string): Promise<RegistryUser | null> {
    return this.db.registryUser.findUnique({ where: { name } });
  }

  listUsers(): Promise<RegistryUser[]> {
    return this.db.registryUser.findMany({ orderBy: { name: 'asc' } });
  }

  async addUser(name: string, passwordHash: string): Promise<RegistryUser> {
    try {
      return await this.db.registryUser.create({ data: { id: newId(), name, passwordHash } });
    } catch (err) {
      if (isUniqueViolation(err)) throw new ConflictError(`registry user ${name} already exists`);
      throw err;
    }
  }

  async setPassword(name: string, passwordHash: string): Promise<void> {
    const { count } = await this.db.registryUser.updateMany({ where: { name }, data: { passwordHash } });
    if (!count) throw new NotFoundError(`no registry user ${name}`);
  }

  async removeUser(name: string): Promise<void> {
    const { count } = await this.db.registryUser.deleteMany({ where: { name } });
    if (!count) throw new NotFoundError(`no registry user ${name}`);
  }

  repo(name: string): Promise<RegistryRepo | null> {
    return this.db.registryRepo.findUnique({ where: { name } });
  }

  async listRepos(): Promise<RepoWithGrants[]> {
    const rows = await this.db.registryRepo.findMany({ orderBy: { name: 'asc' }, include: { grants: { include: { user: { select: { name: true } } } } } });
    return rows.map(({ grants, ...r }) => ({ ...r, grants: grants.map((g) => ({ user: g.user.name, actions: g.actions })).sort((a, b) => a.user.localeCompare(b.user)) }));
  }

  /** publicRepos returns which of `names` are public. */
  async publicAmong(names: string[]): Promise<Set<string>> {
    const rows = await this.db.registryRepo.findMany({ where: { name: { in: names }, public: true }, select: { name: true } });
    return new Set(rows.map((r) => r.name));
  }

  async setVisibility(name: string, isPublic: boolean): Promise<RegistryRepo> {
    return this.db.registryRepo.upsert({ where: { name }, create: { name, public: isPublic }, update: { public: isPublic } });
  }

  /** grant sets a user's actions on a repository (creating its settings row, private); empty actions revoke. */
  async grant(repoName: string, userName: string, actions: string[]): Promise<void> {
    const user = await this.userByName(userName);
    if (!user) throw new NotFoundError(`no registry user ${userName}`);
    await this.db.$transaction(async (tx) => {
      await tx.registryRepo.upsert({ where: { name: repoName }, create: { name: repoName }, update: {} });
      if (!actions.length) await tx.registryGrant.deleteMany({ where: { repoName, userId: user.id } });
      else await tx.registryGrant.upsert({ where: { repoName_userId: { repoName, userId: user.id } }, create: { repoName, userId: user.id, actions }, update: { actions } });
    });
  }

  /** grantsOf returns a user's actions per repository, for the given repositories. */
  async grantsOf(userId: string, repos: string[]): Promise<Map<string, string[]>> {
    const rows = await this.db.registryGrant.findMany({ where: { userId, repoName: { in: repos } } });
    return new Map(rows.map((g) => [g.repoName, g.actions]));
  }

  signingKey(): Promise<RegistryKey | null> {
    return this.db.registryKey.findUnique({ where: { id: 1 } });
  }

  /** createSigningKeyOnce stores the key unless another replica did first; returns the stored one. */
  async createSigningKeyOnce(kid: string, pkcs8: string): Promise<RegistryKey> {
    try {
      return await this.db.registryKey.create({ data: { id: 1, kid, pkcs8 } });
    } catch (err) {
      if (!isUniqueViolation(err)) throw err;
      return (await this.signingKey())!;
    }
  }

  credential(registry: string): Promise<RegistryCredential | null> {
    return this.db.registryCredential.findUnique({ where: { registry } });
  }

  credentials(registries: string[]): Promise<RegistryCredential[]> {
    return this.db.registryCredential.findMany({ where: { registry: { in: registries } } });
  }

  listCredentials(): Promise<RegistryCredential[]> {
    return this.db.registryCredential.findMany({ orderBy: { registry: 'asc' } });
  }

  async putCredential(registry: string, username: string, secret: string): Promise<void> {
    await this.db.registryCredential.upsert({ where: { registry }, create: { registry, username, secret }, update: { username, secret } });
  }

  async removeCredential(registry: string): Promise<void> {
    const { count } = await this.db.registryCredential.deleteMany({ where: { registry } });
    if (!count) throw new NotFoundError(`no credentials stored for ${registry}`);
  }
}
