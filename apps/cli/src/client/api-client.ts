/**
 * ApiClient: the typed REST client (docs/design/rest-api.md). Requests go to
 * the first controller that answers; a connection failure moves on to the
 * next one (several controller replicas), an HTTP error does not.
 */
import type { ClientConfig } from './config.js';

export class CliError extends Error {}

export class ApiError extends CliError {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
  ) {
    super(message);
  }
}

/** REQUEST_TIMEOUT_MS bounds ordinary requests; streams (logs, wait) have none. */
const REQUEST_TIMEOUT_MS = 30_000;

export class ApiClient {
  private preferred = 0;

  constructor(private readonly cfg: ClientConfig) {}

  async raw(method: string, path: string, body?: unknown, opts: { stream?: boolean; authorization?: string } = {}): Promise<Response> {
    const errors: string[] = [];
    for (let i = 0; i < this.cfg.hosts.length; i++) {
      const idx = (this.preferred + i) % this.cfg.hosts.length;
      const host = this.cfg.hosts[idx];
      try {
        const res = await fetch(`${host}/api${path}`, {
          method,
          headers: { authorization: opts.authorization ?? `Bearer ${this.cfg.token}`, ...(body !== undefined ? { 'content-type': 'application/json' } : {}) },
          body: body !== undefined ? JSON.stringify(body) : undefined,
          signal: opts.stream ? undefined : AbortSignal.timeout(REQUEST_TIMEOUT_MS),
        });
        this.preferred = idx;
        if (!res.ok) throw await this.error(res);
        return res;
      } catch (err) {
        if (err instanceof ApiError) throw err;
        errors.push(`${host}: ${String(((err as Error).cause as Error | undefined) ?? (err as Error).message).replace(/^Error: /, '')}`);
      }
    }
    throw new CliError(`cannot reach a controller (${errors.join('; ')})`);
  }

  private async error(res: Response): Promise<ApiError> {
    const text = await res.text().catch(() => '');
    try {
      const e = (JSON.parse(text) as { error: { code: string; message: string; details?: Array<{ field: string; message: string }> } }).error;
      const msg = e.details?.length ? e.details.map((d) => d.message).join('; ') : e.message;
      return new ApiError(res.status, e.code, msg);
    } catch {
      return new ApiError(res.status, 'HTTP', `HTTP ${res.status}${text ? `: ${text.slice(0, 200)}` : ''}`);
    }
  }

  async json<T>(method: string, path: string, body?: unknown): Promise<T> {
    const res = await this.raw(method, path, body);
    return (res.status === 204 ? undefined : await res.json()) as T;
  }

  get<T>(path: string): Promise<T> {
    return this.json<T>('GET', path);
  }

  /**
   * registryToken asks the controllers' token endpoint for a cluster registry
   * token: as the given registry user, or else as an admin (the API token
   * is accepted as a registry password).
   */
  async registryToken(scopes: string[], user?: { username: string; password: string }): Promise<string> {
    const basic = user ?? { username: 'berth', password: this.cfg.token };
    const q = new URLSearchParams(scopes.map((s): [string, string] => ['scope', s]));
    const res = await this.raw('GET', `/registry/token?${q}`, undefined, { authorization: `Basic ${Buffer.from(`${basic.username}:${basic.password}`).toString('base64')}` });
    return ((await res.json()) as { token: string }).token;
  }

  /** stream copies a text/plain response body to `out` as it arrives. */
  async stream(path: string, out: NodeJS.WritableStream): Promise<void> {
    const res = await this.raw('GET', path, undefined, { stream: true });
    if (!res.body) return;
    for await (const chunk of res.body as unknown as AsyncIterable<Uint8Array>) out.write(chunk);
  }
}
