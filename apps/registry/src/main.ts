/**
 * berth-registry: an OCI Distribution registry over plain node:http with
 * filesystem storage. Owns its root directory; talks to nobody.
 *   berth-registry [--listen HOST:PORT] [--root DIR]
 * (env BERTH_REGISTRY_LISTEN, BERTH_REGISTRY_ROOT)
 */
import { createServer } from 'node:http';
import { parseArgs } from 'node:util';
import { FsBlobStore } from './storage/fs.blob-store.js';
import { Routes } from './api/routes.js';
import { RegistryError, sendError } from './api/errors.js';

function fail(msg: string): never {
  process.stderr.write(`berth-registry: ${msg}\n`);
  process.exit(1);
}

async function main(): Promise<void> {
  let values;
  try {
    ({ values } = parseArgs({ options: { listen: { type: 'string' }, root: { type: 'string' } } }));
  } catch (err) {
    fail((err as Error).message);
  }
  const listen = values.listen ?? process.env.BERTH_REGISTRY_LISTEN ?? '0.0.0.0:5000';
  const root = values.root ?? process.env.BERTH_REGISTRY_ROOT ?? '/var/lib/berth/registry';
  const m = /^(.*):(\d+)$/.exec(listen);
  if (!m || Number(m[2]) > 65535) fail(`--listen must be HOST:PORT, got "${listen}"`);
  const store = new FsBlobStore(root);
  await store.init();
  const routes = new Routes(store);
  const server = createServer((req, res) => {
    routes.handle(req, res).catch((err) => {
      if (res.headersSent) return void res.destroy();
      if (err instanceof RegistryError) return sendError(res, err, req.method === 'HEAD');
      process.stderr.write(`berth-registry: ${req.method} ${req.url}: ${(err as Error).message}\n`);
      res.writeHead(500, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ errors: [{ code: 'UNKNOWN', message: 'internal error' }] }));
    });
  });
  server.keepAliveTimeout = 30_000;
  server.on('error', (err) => fail(`cannot listen on ${listen}: ${err.message}`));
  server.listen(Number(m![2]), m![1]!.replace(/^\[|\]$/g, ''), () => {
    process.stderr.write(`berth-registry: listening on ${listen}, root ${root}\n`);
  });
  const stop = () => server.close(() => process.exit(0));
  process.on('SIGTERM', stop);
  process.on('SIGINT', stop);
}

void main();
