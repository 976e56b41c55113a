/**
 * TokenAuth: Docker's token authentication on the registry side. Requests
 * carry `Authorization: Bearer <token>`; tokens are signed by the
 * controller (libs/regauth) and verified here against the controller's
 * JWKS, fetched lazily, cached, and fetched again (at most every
 * JWKS_REFRESH_MS) when a token names a key this registry has not seen.
 * A request without the access it needs gets the challenge that tells the
 * client where to get a token for exactly that access.
 */
import type { IncomingMessage } from 'node:http';
import { webcrypto } from 'node:crypto';
import { allows, formatScope, fromJwk, TokenError, verifyToken, type Access, type Jwk } from '#libs/regauth';

/** JWKS_REFRESH_MS: the least time between two JWKS fetches for unknown key ids. */
const JWKS_REFRESH_MS = 10_000;
/** JWKS_TIMEOUT_MS bounds one JWKS fetch. */
const JWKS_TIMEOUT_MS = 5_000;

export interface TokenAuthConfig {
  realm: string;
  service: string;
  issuer: string;
  jwksUrl: string;
}

/** AuthError: 401 with a challenge, or 503 when the keys cannot be fetched. */
export class AuthError extends Error {
  constructor(
    readonly status: 401 | 503,
    message: string,
    readonly challenge?: string,
  ) {
    super(message);
  }
}

export class TokenAuth {
  private keys = new Map<string, webcrypto.CryptoKey>();
  private fetchedAt = 0;
  private fetching?: Promise<void>;

  constructor(readonly cfg: TokenAuthConfig) {}

  private challenge(needs: Access[], error?: string): string {
    const parts = [`realm="${this.cfg.realm}"`, `service="${this.cfg.service}"`];
    if (needs.length) parts.push(`scope="${needs.map(formatScope).join(' ')}"`);
    if (error) parts.push(`error="${error}"`);
    return `Bearer ${parts.join(',')}`;
  }

  private async refreshKeys(): Promise<void> {
    this.fetching ??= (async () => {
      try {
        const res = await fetch(this.cfg.jwksUrl, { signal: AbortSignal.timeout(JWKS_TIMEOUT_MS) });
        if (!res.ok) throw new Error(`HTTP ${res.status}`);
        const body = (await res.json()) as { keys?: Jwk[] };
        const next = new Map<string, webcrypto.CryptoKey>();
        for (const k of body.keys ?? []) if (k.kid) next.set(k.kid, await fromJwk(k));
        this.keys = next;
        this.fetchedAt = Date.now();
      } catch (err) {
        throw new AuthError(503, `cannot fetch the token keys from ${this.cfg.jwksUrl}: ${String(((err as Error).cause as Error | undefined) ?? (err as Error).message)}`);
      } finally {
        this.fetching = undefined;
      }
    })();
    return this.fetching;
  }

  private async keyFor(kid: string): Promise<webcrypto.CryptoKey | undefined> {
    if (!this.keys.has(kid) && Date.now() - this.fetchedAt >= JWKS_REFRESH_MS) await this.refreshKeys();
    return this.keys.get(kid);
  }

  /**
   * check passes when the request's token grants every access in `needs`
   * (an empty list: any valid token, as for GET /v2/); throws AuthError.
   */
  async check(req: IncomingMessage, needs: Access[]): Promise<Access[]> {
    const m = /^Bearer\s+(\S+)$/i.exec(req.headers.authorization ?? '');
    if (!m) throw new AuthError(401, 'authentication required', this.challenge(needs));
    let granted: Access[];
    try {
      granted = (await verifyToken(m[1], (kid) => this.keyFor(kid), { iss: this.cfg.issuer, aud: this.cfg.service })).access;
    } catch (err) {
      if (err instanceof TokenError) throw new AuthError(401, err.message, this.challenge(needs, 'invalid_token'));
      throw err;
    }
    const missing = needs.filter((n) => n.actions.some((a) => !allows(granted, n.type, n.name, a)));
    if (missing.length) throw new AuthError(401, `the token does not grant ${missing.map(formatScope).join(' ')}`, this.challenge(needs, 'insufficient_scope'));
    return granted;
  }
}
