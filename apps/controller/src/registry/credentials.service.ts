/**
 * CredentialsService: passwords for other registries, sealed with the
 * controllers' secret key before they reach Postgres and opened only to hand
 * them to an agent with the task whose image needs them.
 */
import { Injectable, OnModuleInit } from '@nestjs/common';
import { RegistryStore } from '../store/store.module.js';
import { BerthConfig } from '../config/berth-config.js';
import { SecretBox } from './secret-box.js';

@Injectable()
export class CredentialsService implements OnModuleInit {
  private box?: SecretBox;

  constructor(
    private readonly store: RegistryStore,
    private readonly config: BerthConfig,
  ) {}

  async onModuleInit(): Promise<void> {
    this.box = await SecretBox.open(this.config.secretKeyFile);
  }

  async put(registry: string, username: string, password: string): Promise<void> {
    await this.store.putCredential(registry, username, this.box!.seal(password));
  }

  async list(): Promise<Array<{ registry: string; username: string; updatedAt: Date }>> {
    return (await this.store.listCredentials()).map(({ registry, username, updatedAt }) => ({ registry, username, updatedAt }));
  }

  remove(registry: string): Promise<void> {
    return this.store.removeCredential(registry);
  }

  /** forRegistries opens the stored credentials of the given registries. */
  async forRegistries(registries: string[]): Promise<Map<string, { username: string; password: string }>> {
    if (!registries.length) return new Map();
    const rows = await this.store.credentials(registries);
    return new Map(rows.map((r) => [r.registry, { username: r.username, password: this.box!.open(r.secret) }]));
  }
}
