/**
 * config/: the controller's validated environment, one BerthConfig for the
 * whole process. Owns nothing else; every role reads its settings from here.
 */
import { Global, Module } from '@nestjs/common';
import { BerthConfig } from './berth-config.js';

let current: BerthConfig | undefined;

/** useConfig sets the process's BerthConfig before the Nest app is built (main.ts, tests). */
export function useConfig(c: BerthConfig): void {
  current = c;
}

@Global()
@Module({ providers: [{ provide: BerthConfig, useFactory: () => (current ??= new BerthConfig()) }], exports: [BerthConfig] })
export class ConfigModule {}

export { BerthConfig, ConfigError } from './berth-config.js';
