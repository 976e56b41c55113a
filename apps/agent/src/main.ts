/**
 * berth-agent: one per host. Joins the cluster on first boot (identity kept
 * in its state dir), then keeps a session with a controller and runs the
 * tasks assigned to this host. Stopping the agent leaves containers running;
 * a restarted agent re-adopts them.
 */
import { parseAgentConfig, AgentConfigError } from './config/agent-config.js';
import { FileStateDb } from './state/file.state-db.js';
import { createPipeline, hostNetworks, Worker } from './worker/index.js';
import { Session } from './session/session.js';
import { join, JoinRefusedError } from './session/identity.js';
import { Backoff } from './session/backoff.js';
import { describeHost } from './node/facts.js';
import { ImageService } from './images/image-service.js';
import { ImageGc } from './images/image-gc.js';
import { reconcileStale } from './network/index.js';
import { ImageRequests } from './images/image-requests.js';
import { VolumePlugins } from './volumes/index.js';
import { Builder } from './builder/builder.js';
import { BuildService } from './builder/build-service.js';
import { reclaimStepNetworks } from './builder/step-network.js';
import { hostNofileLimit } from './runtime/runc/adapter.js';
import { DEFAULT_PIDS_LIMIT, NOFILE_LIMIT } from './runtime/runc/bundle.js';
import { BuiltinNetwork, raiseMainThread, watchLoopLag } from '#libs/common';

/** IMAGE_GC_CHECK_MS: how often the agent checks its disk for automatic image GC. */
const IMAGE_GC_CHECK_MS = 60_000;
/** PLUGIN_SCAN_MS: how often the agent looks for volume plugins that came or went. */
const PLUGIN_SCAN_MS = 5_000;

/** LOOP_LAG_LOG_MS: an event-loop hold-up this long is logged (a heartbeat is due every 500–1000 ms). */
const LOOP_LAG_LOG_MS = 1_000;

function log(level: string, m: string): void {
  process.stderr.write(`${new Date().toISOString()} ${level.toUpperCase()} ${m}\n`);
}

async function main(): Promise<void> {
  const cfg = parseAgentConfig(process.argv.slice(2));
  const notRaised = raiseMainThread();
  if (notRaised) log('warn', `the agent's main thread keeps the normal priority: ${notRaised}`);
  watchLoopLag(LOOP_LAG_LOG_MS, (ms) => log('warn', `event loop held up for ${ms} ms (heartbeats and messages wait meanwhile)`));
  const db = new FileStateDb(cfg.stateDir);
  const plugins = new VolumePlugins(cfg.volumePluginDir!);
  await plugins.scan();
  const describe = () => describeHost(cfg.hostname, cfg.addr, cfg.labels, plugins.list());
  let identity = await db.loadIdentity();
  if (!identity) {
    if (!cfg.token) throw new AgentConfigError('--token is required to join (no saved identity in the state dir)');
    const backoff = new Backoff();
    for (let i = 0; !identity; i++) {
      const addr = cfg.controllers[i % cfg.controllers.length];
      try {
        identity = await join(addr, cfg.token, describe());
      } catch (err) {
        if (err instanceof JoinRefusedError) throw err;
        const wait = backoff.next();
        log('warn', `cannot join via ${addr}: ${(err as Error).message}; retrying in ${wait} ms`);
        await new Promise((r) => setTimeout(r, wait));
      }
    }
    await db.saveIdentity(identity);
    log('info', `joined the cluster as node ${identity.nodeId}`);
  }
  const images = new ImageService(cfg.stateDir, cfg.insecureRegistries, cfg.imageMaxUnpackedBytes);
  const networks = hostNetworks(cfg);
  const pipeline = await createPipeline(cfg, images, plugins, networks);
  await reconcileStale(pipeline.networkDevices(), (m) => log('info', m)).catch((err: Error) => log('warn', `network reconcile: ${err.message}`));
  const nofile = Math.min(NOFILE_LIMIT, (await hostNofileLimit()) ?? NOFILE_LIMIT);
  const bridge = networks.get(BuiltinNetwork.BRIDGE);
  await reclaimStepNetworks(bridge, cfg.stateDir, (m) => log('info', m));
  const builder = new Builder({
    stateDir: cfg.stateDir,
    images,
    runcRoot: cfg.runcRoot,
    cgroupParent: cfg.cgroupParent,
    nofile,
    pidsLimit: cfg.pidsLimit ?? DEFAULT_PIDS_LIMIT,
    bridge,
    insecureRegistries: cfg.insecureRegistries,
  });
  const builds = new BuildService(builder, images, cfg.stateDir, cfg.insecureRegistries, log);
  let session: Session | undefined;
  const worker = new Worker(
    pipeline,
    db,
    (s) => session?.report(s),
    (m) => log('info', m),
  );
  const gc = new ImageGc(
    images,
    async () => worker.images(),
    (m) => log('info', m),
  );
  const gcTimer = setInterval(() => void gc.pruneIfLow(cfg.imageGcLowPercent).catch((err: Error) => log('warn', `image gc: ${err.message}`)), IMAGE_GC_CHECK_MS);
  gcTimer.unref();
  session = new Session(cfg.controllers, identity, worker, describe, log, builds, new ImageRequests(images, gc));
  // Volume plugins come and go with their processes: the controller hears of changes.
  const pluginTimer = setInterval(
    () =>
      void (async () => {
        const before = JSON.stringify(plugins.list());
        if (JSON.stringify(await plugins.scan()) !== before) session?.describeAgain();
      })(),
    PLUGIN_SCAN_MS,
  );
  pluginTimer.unref();
  await worker.init();
  const stop = new AbortController();
  const onSignal = () => {
    log('info', 'stopping (containers keep running)');
    stop.abort();
  };
  process.on('SIGTERM', onSignal);
  process.on('SIGINT', onSignal);
  await session.runForever(stop.signal);
  await worker.idle();
  process.exit(0);
}

main().catch((err) => {
  if (err instanceof AgentConfigError || err instanceof JoinRefusedError) log('error', err.message);
  else log('error', (err as Error).stack ?? String(err));
  process.exit(1);
});
