/**
 * BerthConfig: the controller's settings, read from the environment once at
 * boot and validated; a bad value stops the process with a message naming
 * the variable.
 */
import { hostname, networkInterfaces } from 'node:os';
import { randomBytes } from 'node:crypto';

export class ConfigError extends Error {}

function firstExternalIPv4(): string {
  for (const addrs of Object.values(networkInterfaces())) {
    for (const a of addrs ?? []) if (a.family === 'IPv4' && !a.internal) return a.address;
  }
  return '127.0.0.1';
}

function int(env: NodeJS.ProcessEnv, name: string, def: number, min: number, max: number): number {
  const raw = env[name];
  if (raw === undefined || raw === '') return def;
  const n = Number(raw);
  if (!Number.isInteger(n) || n < min || n > max) throw new ConfigError(`${name} must be an integer from ${min} to ${max}, got "${raw}"`);
  return n;
}

function str(env: NodeJS.ProcessEnv, name: string, def: string, re?: RegExp, what?: string): string {
  const v = env[name] ?? def;
  if (re && !re.test(v)) throw new ConfigError(`${name} must be ${what}, got "${v}"`);
  return v;
}

export class BerthConfig {
  readonly databaseUrl: string;
  readonly redisUrl: string;
  readonly apiHost: string;
  readonly apiPort: number;
  readonly grpcPort: number;
  readonly advertiseAddr: string;
  readonly registry: string;
  readonly stateDir: string;
  readonly nodeDownMs: number;
  readonly heartbeatMs: number;
  readonly adminToken: string | undefined;
  readonly replicaId: string;
  readonly queuePrefix: string;
  readonly registryService: string;
  readonly registryIssuer: string;
  readonly registryTokenTtlS: number;
  readonly secretKeyFile: string;
  readonly networkPool: string;
  /** Services' virtual IPs come from here; no network's subnet may overlap it. */
  readonly vipPool: string;

  constructor(env: NodeJS.ProcessEnv = process.env) {
    this.databaseUrl = str(env, 'BERTH_DATABASE_URL', 'postgresql://berth:berth@127.0.0.1:5432/berth', /^postgres(ql)?:\/\//, 'a postgresql:// URL');
    this.redisUrl = str(env, 'BERTH_REDIS_URL', 'redis://127.0.0.1:6379', /^rediss?:\/\//, 'a redis:// URL');
    this.apiHost = str(env, 'BERTH_API_HOST', '0.0.0.0');
    this.apiPort = int(env, 'BERTH_API_PORT', 8080, 0, 65535);
    this.grpcPort = int(env, 'BERTH_GRPC_PORT', 9090, 0, 65535);
    this.advertiseAddr = str(env, 'BERTH_ADVERTISE_ADDR', firstExternalIPv4());
    this.registry = str(env, 'BERTH_REGISTRY', '127.0.0.1:5000', /^[\w.-]+(:\d+)?$/, 'HOST:PORT');
    this.stateDir = str(env, 'BERTH_STATE_DIR', '/var/lib/berth/controller');
    this.nodeDownMs = int(env, 'BERTH_NODE_DOWN_MS', 3000, 500, 3_600_000);
    this.heartbeatMs = int(env, 'BERTH_HEARTBEAT_MS', 500, 100, 60_000);
    if (this.heartbeatMs * 2 > this.nodeDownMs) throw new ConfigError('BERTH_HEARTBEAT_MS must be at most half of BERTH_NODE_DOWN_MS');
    this.adminToken = env.BERTH_ADMIN_TOKEN || undefined;
    if (this.adminToken !== undefined && !/^[\w.-]{16,128}$/.test(this.adminToken)) {
      throw new ConfigError('BERTH_ADMIN_TOKEN must be 16 to 128 letters, digits, dots, dashes or underscores');
    }
    this.replicaId = str(env, 'BERTH_REPLICA_ID', `${hostname()}-${process.pid}-${randomBytes(3).toString('hex')}`);
    this.queuePrefix = str(env, 'BERTH_QUEUE_PREFIX', 'berth', /^[\w-]{1,64}$/, 'letters, digits, - or _');
    this.registryService = str(env, 'BERTH_REGISTRY_SERVICE', 'berth-registry', /^[\w.:-]{1,128}$/, 'letters, digits, dots, colons or dashes');
    this.registryIssuer = str(env, 'BERTH_REGISTRY_ISSUER', 'berth-controller', /^[\w.:-]{1,128}$/, 'letters, digits, dots, colons or dashes');
    this.registryTokenTtlS = int(env, 'BERTH_REGISTRY_TOKEN_TTL_S', 300, 30, 86_400);
    this.secretKeyFile = str(env, 'BERTH_SECRET_KEY_FILE', `${this.stateDir}/secret.key`);
    this.networkPool = str(env, 'BERTH_NETWORK_POOL', '10.211.0.0/16', /^\d+\.\d+\.\d+\.\d+\/(1[0-9]|2[0-4]|[89])$/, 'an IPv4 CIDR from /8 to /24');
    this.vipPool = str(env, 'BERTH_VIP_POOL', '10.212.0.0/16', /^\d+\.\d+\.\d+\.\d+\/(1[0-9]|2[0-4]|[89])$/, 'an IPv4 CIDR from /8 to /24');
  }
}
