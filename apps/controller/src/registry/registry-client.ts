/**
 * RegistryClient: the controller's own calls to the cluster registry
 * (catalog, tags, manifests, GC), each with a token this controller signs
 * for exactly that call. Bounded in time; an unreachable registry is a 503.
 */
import { Injectable } from '@nestjs/common';
import { BerthConfig } from '../config/berth-config.js';
import { MANIFEST_ACCEPT } from '#libs/oci';
import type { Access } from '#libs/regauth';
import { RegistryAuthService } from './registry-auth.service.js';

/** REGISTRY_TIMEOUT_MS bounds each call to the registry. */
const REGISTRY_TIMEOUT_MS = 5_000;
/** GC_TIMEOUT_MS: a collection walks every manifest; give it longer. */
const GC_TIMEOUT_MS = 120_000;

export class RegistryUnavailableError extends Error {
  readonly status = 503;
}

@Injectable()
export class RegistryClient {
  constructor(
    private readonly config: BerthConfig,
    private readonly auth: RegistryAuthService,
  ) {}

  async call(path: string, access: Access[], init: { method?: string; timeoutMs?: number } = {}): Promise<Response> {
    const { token } = await this.auth.issue('berth-controller', access);
    try {
      return await fetch(`http://${this.config.registry}${path}`, {
        method: init.method ?? 'GET',
        headers: { accept: MANIFEST_ACCEPT, authorization: `Bearer ${token}` },
        signal: AbortSignal.timeout(init.timeoutMs ?? REGISTRY_TIMEOUT_MS),
      });
    } catch (err) {
      throw new RegistryUnavailableError(`registry ${this.config.registry} unreachable: ${String(((err as Error).cause as Error | undefined) ?? (err as Error).message)}`);
    }
  }

  async catalog(): Promise<string[]> {
    const res = await this.call('/v2/_catalog', [{ type: 'registry', name: 'catalog', actions: ['*'] }]);
    if (!res.ok) throw new RegistryUnavailableError(`registry catalog: HTTP ${res.status}`);
    return ((await res.json()) as { repositories?: string[] }).repositories ?? [];
  }

  async tags(repository: string): Promise<string[]> {
    const res = await this.call(`/v2/${repository}/tags/list`, [{ type: 'repository', name: repository, actions: ['pull'] }]);
    return res.ok ? (((await res.json()) as { tags?: string[] }).tags ?? []) : [];
  }

  manifest(repository: string, reference: string): Promise<Response> {
    return this.call(`/v2/${repository}/manifests/${reference}`, [{ type: 'repository', name: repository, actions: ['pull'] }]);
  }

  async gc(): Promise<unknown> {
    const res = await this.call('/admin/gc', [{ type: 'registry', name: 'gc', actions: ['*'] }], { method: 'POST', timeoutMs: GC_TIMEOUT_MS });
    const body = await res.json().catch(() => ({}));
    if (!res.ok) throw new RegistryUnavailableError(`registry gc: HTTP ${res.status} ${JSON.stringify(body)}`);
    return body;
  }
}
