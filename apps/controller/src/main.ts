/**
 * berth-controller: one replica of the control plane (REST on
 * BERTH_API_HOST:BERTH_API_PORT, gRPC for agents on BERTH_GRPC_PORT).
 * Configuration is the environment (config/berth-config.ts).
 */
import { BerthConfig, ConfigError } from './config/berth-config.js';
import { createControllerApp } from './bootstrap.js';

async function main(): Promise<void> {
  let config: BerthConfig;
  try {
    config = new BerthConfig();
  } catch (err) {
    if (err instanceof ConfigError) {
      process.stderr.write(`berth-controller: ${err.message}\n`);
      process.exit(1);
    }
    throw err;
  }
  const app = await createControllerApp(config);
  await app.listen(config.apiPort, config.apiHost);
  process.stderr.write(`berth-controller ${config.replicaId}: API on ${config.apiHost}:${config.apiPort}, agents on :${config.grpcPort}\n`);
}

main().catch((err) => {
  process.stderr.write(`berth-controller: ${(err as Error).message}\n`);
  process.exit(1);
});
