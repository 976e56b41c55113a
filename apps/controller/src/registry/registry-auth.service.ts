/**
 * RegistryAuthService: the authority behind the registry's token auth.
 * Decides what a caller may do (anonymous: pull public repositories; a
 * registry user: their grants plus public pulls; anyone presenting an API
 * token as password: everything) and signs short-lived tokens for it with
 * the cluster's registry key (one row in Postgres, made by whichever replica
 * starts first). Also mints tokens for the controller's own needs (agent
 * pulls, registry GC).
 */
import { Injectable, Logger, OnModuleInit } from '@nestjs/common';
import { RegistryStore, TokenStore } from '../store/store.module.js';
import { BerthConfig } from '../config/berth-config.js';
import { exportSigningKey, importSigningKey, newSigningKey, signToken, toJwk, type Access, type Jwk } from '#libs/regauth';
import { verifyPassword } from './passwords.js';
import { REPOSITORY_NAME } from '#libs/common';

/** ACTIONS: what a grant may hold. */
export const REPO_ACTIONS = ['pull', 'push', 'delete'] as const;

export interface Caller {
  kind: 'anonymous' | 'user' | 'admin';
  name: string;
  userId?: string;
}

export class BadCredentialsError extends Error {
  readonly status = 401;
}

export interface IssuedToken {
  token: string;
  expiresIn: number;
  issuedAt: string;
}

@Injectable()
export class RegistryAuthService implements OnModuleInit {
  private readonly log = new Logger('registry-auth');
  private key?: Awaited<ReturnType<typeof importSigningKey>>;

  constructor(
    private readonly store: RegistryStore,
    private readonly tokens: TokenStore,
    private readonly config: BerthConfig,
  ) {}

  async onModuleInit(): Promise<void> {
    let row = await this.store.signingKey();
    if (!row) {
      const fresh = await newSigningKey();
      row = await this.store.createSigningKeyOnce(fresh.kid, await exportSigningKey(fresh.privateKey));
      this.log.log(`registry token key ready (kid ${row.kid.slice(0, 12)}…)`);
    }
    this.key = await importSigningKey(row.pkcs8);
  }

  async jwks(): Promise<{ keys: Jwk[] }> {
    return { keys: [await toJwk(this.key!.publicKey)] };
  }

  /** identify checks Basic credentials (or none); wrong ones are an error, never a silent anonymous. */
  async identify(basic?: { username: string; password: string }): Promise<Caller> {
    if (!basic) return { kind: 'anonymous', name: '' };
    if (await this.tokens.apiTokenValid(basic.password)) return { kind: 'admin', name: basic.username || 'admin' };
    const user = await this.store.userByName(basic.username);
    if (!user || !(await verifyPassword(basic.password, user.passwordHash))) throw new BadCredentialsError('invalid registry username or password');
    return { kind: 'user', name: user.name, userId: user.id };
  }

  /** authorize narrows each requested access to what the caller may do (possibly nothing). */
  async authorize(caller: Caller, requested: Access[]): Promise<Access[]> {
    if (caller.kind === 'admin') return requested.map((a) => ({ ...a, actions: [...new Set(a.actions)] }));
    const repos = requested.filter((a) => a.type === 'repository').map((a) => a.name);
    const open = await this.store.publicAmong(repos);
    const grants = caller.userId ? await this.store.grantsOf(caller.userId, repos) : new Map<string, string[]>();
    const out: Access[] = [];
    for (const a of requested) {
      // Catalog, gc and wildcard names are for admins (and the controller's own tokens).
      if (a.type !== 'repository' || !REPOSITORY_NAME.test(a.name)) continue;
      const allowed = new Set(grants.get(a.name) ?? []);
      if (open.has(a.name)) allowed.add('pull');
      const actions = [...new Set(a.actions)].filter((x) => allowed.has(x));
      if (actions.length) out.push({ type: a.type, name: a.name, actions });
    }
    return out;
  }

  async issue(subject: string, access: Access[], ttlS = this.config.registryTokenTtlS): Promise<IssuedToken> {
    const { token, claims } = await signToken(this.key!.privateKey, this.key!.kid, { iss: this.config.registryIssuer, sub: subject, aud: this.config.registryService, ttlS, access });
    return { token, expiresIn: ttlS, issuedAt: new Date(claims.iat * 1000).toISOString() };
  }

  /**
   * builderToken lets a build pull its context and any base image from the
   * cluster registry and push its result, for as long as a build may take.
   */
  async builderToken(target: string, contextRepository: string, ttlS: number): Promise<string> {
    const access = [
      { type: 'repository', name: '*', actions: ['pull'] },
      { type: 'repository', name: contextRepository, actions: ['pull'] },
      { type: 'repository', name: target, actions: ['pull', 'push'] },
    ];
    return (await this.issue('berth-builder', access, ttlS)).token;
  }

  /** pullToken is what an agent gets with a task whose image is in the cluster's registry. */
  async pullToken(repository: string): Promise<string> {
    return (await this.issue('berth-agent', [{ type: 'repository', name: repository, actions: ['pull'] }])).token;
  }
}
