/**
 * JoinTokenService: the worker join token. Only sha256(secret) is stored;
 * the secret itself is derived from the CA key and the token row id
 * (HMAC), so every replica can show the same token without storing it.
 */
import { createHmac } from 'node:crypto';
import { Injectable } from '@nestjs/common';
import { TokenStore } from '../store/store.module.js';
import { BerthConfig } from '../config/berth-config.js';
import { formatJoinToken, parseJoinToken } from '#libs/pki';
import { CaService } from './ca.service.js';

const ROLE = 'worker';

@Injectable()
export class JoinTokenService {
  constructor(
    private readonly tokens: TokenStore,
    private readonly ca: CaService,
    private readonly config: BerthConfig,
  ) {}

  private secretFor(tokenId: string): string {
    const mac = createHmac('sha256', this.ca.caKeyPem).update(`join-token:${tokenId}`).digest();
    return BigInt(`0x${mac.toString('hex')}`)
      .toString(36)
      .padStart(32, '0')
      .slice(0, 32);
  }

  async current(): Promise<{ token: string; grpcAddr: string }> {
    const row = (await this.tokens.newestJoinToken(ROLE)) ?? (await this.tokens.addJoinTokenOnce(ROLE, (id) => this.secretFor(id)));
    return { token: formatJoinToken(this.ca.digest, this.secretFor(row.id)), grpcAddr: `${this.config.advertiseAddr}:${this.config.grpcPort}` };
  }

  /** valid is true when the token pins this cluster's CA and its secret is a live token's. */
  async valid(token: string): Promise<boolean> {
    let parsed;
    try {
      parsed = parseJoinToken(token);
    } catch {
      return false;
    }
    return parsed.caDigest === this.ca.digest && this.tokens.joinSecretValid(parsed.secret);
  }
}
