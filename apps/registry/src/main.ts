/**
 * berth-registry: an OCI Distribution registry over plain node:http with
 * filesystem storage. Owns its root directory; with token auth on, it talks
 * only to the JWKS URL to learn the keys tokens are signed with.
 *   berth-registry [--listen HOST:PORT] [--root DIR] [--gc-grace SECONDS]
 *     [--auth-realm URL --auth-service NAME --auth-issuer NAME --auth-jwks URL]
 * (env BERTH_REGISTRY_LISTEN, _ROOT, _GC_GRACE, _AUTH_REALM, _AUTH_SERVICE, _AUTH_ISSUER, _AUTH_JWKS)
 */
import { createServer } from 'node:http';
import { parseArgs } from 'node:util';
import { FsBlobStore } from './storage/fs.blob-store.js';
import { Routes } from './api/routes.js';
import { registryListener } from './api/server.js';
import { TokenAuth } from './auth/token-auth.js';
import { GarbageCollector } from './storage/gc.js';

/** UPLOAD_MAX_IDLE_MS: an upload untouched this long is abandoned; GC removes it. */
const UPLOAD_MAX_IDLE_MS = 24 * 3_600_000;

function url(flag: string, v: string): string {
  try {
    const u = new URL(v);
    if (u.protocol !== 'http:' && u.protocol !== 'https:') throw new Error('not http');
    return v;
  } catch {
    fail(`${flag} must be an http(s) URL, got "${v}"`);
  }
}

function fail(msg: string): never {
  process.stderr.write(`berth-registry: ${msg}\n`);
  process.exit(1);
}

async function main(): Promise<void> {
  let values;
  try {
    ({ values } = parseArgs({
      options: {
        listen: { type: 'string' },
        root: { type: 'string' },
        'gc-grace': { type: 'string' },
        'auth-realm': { type: 'string' },
        'auth-service': { type: 'string' },
        'auth-issuer': { type: 'string' },
        'auth-jwks': { type: 'string' },
      },
    }));
  } catch (err) {
    fail((err as Error).message);
  }
  const listen = values.listen ?? process.env.BERTH_REGISTRY_LISTEN ?? '0.0.0.0:5000';
  const root = values.root ?? process.env.BERTH_REGISTRY_ROOT ?? '/var/lib/berth/registry';
  const m = /^(.*):(\d+)$/.exec(listen);
  if (!m || Number(m[2]) > 65535) fail(`--listen must be HOST:PORT, got "${listen}"`);
  const graceRaw = values['gc-grace'] ?? process.env.BERTH_REGISTRY_GC_GRACE ?? '3600';
  if (!/^\d{1,7}$/.test(graceRaw)) fail(`--gc-grace must be a number of seconds, got "${graceRaw}"`);
  const authFlags = {
    realm: values['auth-realm'] ?? process.env.BERTH_REGISTRY_AUTH_REALM,
    service: values['auth-service'] ?? process.env.BERTH_REGISTRY_AUTH_SERVICE,
    issuer: values['auth-issuer'] ?? process.env.BERTH_REGISTRY_AUTH_ISSUER,
    jwks: values['auth-jwks'] ?? process.env.BERTH_REGISTRY_AUTH_JWKS,
  };
  const given = Object.entries(authFlags).filter(([, v]) => v);
  if (given.length && given.length < 4) {
    fail(
      `token auth needs all of --auth-realm, --auth-service, --auth-issuer and --auth-jwks; missing ${Object.entries(authFlags)
        .filter(([, v]) => !v)
        .map(([k]) => `--auth-${k}`)
        .join(', ')}`,
    );
  }
  const auth = given.length
    ? new TokenAuth({ realm: url('--auth-realm', authFlags.realm!), service: authFlags.service!, issuer: authFlags.issuer!, jwksUrl: url('--auth-jwks', authFlags.jwks!) })
    : undefined;
  const store = new FsBlobStore(root);
  await store.init();
  const log = (m: string) => process.stderr.write(`berth-registry: ${m}\n`);
  const gc = new GarbageCollector(store, Number(graceRaw) * 1000, UPLOAD_MAX_IDLE_MS, log);
  const routes = new Routes(store, auth, gc);
  const server = createServer(registryListener(routes, log));
  server.keepAliveTimeout = 30_000;
  server.on('error', (err) => fail(`cannot listen on ${listen}: ${err.message}`));
  server.listen(Number(m[2]), m[1].replace(/^\[|\]$/g, ''), () => {
    log(`listening on ${listen}, root ${root}, ${auth ? `token auth (realm ${auth.cfg.realm})` : 'NO authentication: anyone who can reach it may push and pull'}`);
  });
  const stop = () => server.close(() => process.exit(0));
  process.on('SIGTERM', stop);
  process.on('SIGINT', stop);
}

void main();
