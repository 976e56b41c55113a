/**
 * AdminToken: on first start of a cluster, creates the `admin` API token
 * (BERTH_ADMIN_TOKEN when set, else random), stores only its hash, and
 * writes the plain token to <BERTH_STATE_DIR>/admin-token (0600) where the
 * local CLI finds it. Replicas racing here create one token: the unique
 * name decides.
 */
import { Injectable, Logger, OnApplicationBootstrap } from '@nestjs/common';
import { randomBytes } from 'node:crypto';
import { mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { TokenStore } from '../../store/store.module.js';
import { BerthConfig } from '../../config/berth-config.js';

@Injectable()
export class AdminToken implements OnApplicationBootstrap {
  private readonly log = new Logger('auth');

  constructor(
    private readonly tokens: TokenStore,
    private readonly config: BerthConfig,
  ) {}

  async onApplicationBootstrap(): Promise<void> {
    const preset = this.config.adminToken;
    const file = path.join(this.config.stateDir, 'admin-token');
    if (await this.tokens.hasApiToken('admin')) {
      if (preset) {
        await this.tokens.addApiToken(`admin-preset-${preset.slice(0, 6)}`, preset);
        await this.write(file, preset);
      }
      return;
    }
    const token = preset ?? randomBytes(24).toString('base64url');
    if (await this.tokens.addApiToken('admin', token)) {
      await this.write(file, token);
      this.log.log(`admin API token written to ${file}`);
    } else if (preset) await this.write(file, preset);
  }

  private async write(file: string, token: string): Promise<void> {
    await mkdir(path.dirname(file), { recursive: true, mode: 0o700 });
    await writeFile(file, `${token}\n`, { mode: 0o600 });
  }
}
