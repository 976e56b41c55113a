/**
 * PullAuthResolver: the credentials an agent gets with its tasks, per
 * image: for the cluster registry a short-lived pull token for exactly that
 * repository; for another registry the stored (sealed) credentials, opened
 * only here; for anything else nothing (anonymous pull).
 */
import { Injectable, Logger } from '@nestjs/common';
import { BerthConfig } from '../config/berth-config.js';
import { CredentialsService, RegistryAuthService } from '../registry/registry-access.module.js';
import { parseImageRef } from '#libs/common';
import type { PullAuth } from '#libs/proto/messages.js';

export type { PullAuth };

@Injectable()
export class PullAuthResolver {
  private readonly log = new Logger('pull-auth');

  constructor(
    private readonly config: BerthConfig,
    private readonly tokens: RegistryAuthService,
    private readonly creds: CredentialsService,
  ) {}

  /** forImages maps each image reference to the credentials its pull needs (absent: none). */
  async forImages(images: string[]): Promise<Map<string, PullAuth>> {
    const out = new Map<string, PullAuth>();
    const refs = [...new Set(images)].flatMap((image) => {
      try {
        return [{ image, ref: parseImageRef(image, this.config.registry) }];
      } catch {
        return []; // a malformed reference fails on the agent with its own message
      }
    });
    const tokens = new Map<string, string>();
    for (const { image, ref } of refs.filter((r) => r.ref.registry === this.config.registry)) {
      let token = tokens.get(ref.repository);
      if (!token) tokens.set(ref.repository, (token = await this.tokens.pullToken(ref.repository)));
      out.set(image, { username: '', password: '', bearerToken: token });
    }
    const others = refs.filter((r) => r.ref.registry !== this.config.registry);
    if (others.length) {
      try {
        const stored = await this.creds.forRegistries([...new Set(others.map((r) => r.ref.registry))]);
        for (const { image, ref } of others) {
          const c = stored.get(ref.registry);
          if (c) out.set(image, { username: c.username, password: c.password, bearerToken: '' });
        }
      } catch (err) {
        // Without them the pull is anonymous and fails on the agent with the registry's answer.
        this.log.error(`registry credentials: ${(err as Error).message}`);
      }
    }
    return out;
  }
}
