/**
 * berth-controller: one replica of the control plane (REST on
 * BERTH_API_HOST:BERTH_API_PORT, gRPC for agents on BERTH_GRPC_PORT).
 * Configuration is the environment (config/berth-config.ts).
 */
import { BerthConfig, ConfigError } from './config/berth-config.js';
import { createControllerApp } from './bootstrap.js';
import { raiseMainThread, watchLoopLag } from '#libs/common';

/** SHUTDOWN_LIMIT_MS: how long a replica may take to close its connections and queue workers. */
const SHUTDOWN_LIMIT_MS = 10_000;
/** LOOP_LAG_LOG_MS: an event-loop hold-up this long is logged. */
const LOOP_LAG_LOG_MS = 1_000;

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
  const notRaised = raiseMainThread();
  if (notRaised) process.stderr.write(`berth-controller: the main thread keeps the normal priority: ${notRaised}\n`);
  watchLoopLag(LOOP_LAG_LOG_MS, (ms) => process.stderr.write(`berth-controller: event loop held up for ${ms} ms (agent messages and API requests wait meanwhile)\n`));
  const app = await createControllerApp(config);
  // Shutting down waits for Redis and Postgres (queue workers, pools); when they are gone it
  // must not wait for ever.
  for (const sig of ['SIGTERM', 'SIGINT'] as const) {
    process.once(sig, () => {
      setTimeout(() => {
        process.stderr.write(`berth-controller: shutdown not finished after ${SHUTDOWN_LIMIT_MS} ms; exiting\n`);
        process.exit(1);
      }, SHUTDOWN_LIMIT_MS).unref();
    });
  }
  await app.listen(config.apiPort, config.apiHost);
  process.stderr.write(`berth-controller ${config.replicaId}: API on ${config.apiHost}:${config.apiPort}, agents on :${config.grpcPort}\n`);
}

main().catch((err) => {
  process.stderr.write(`berth-controller: ${(err as Error).message}\n`);
  process.exit(1);
});
