/**
 * Where the CLI finds its controllers and token: flags, then BERTH_HOST /
 * BERTH_TOKEN, then ~/.berth/config.json {hosts, token}, then
 * 127.0.0.1:8080 with the token the local controller wrote to
 * /var/lib/berth/controller/admin-token.
 */
import { chmodSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';

export interface ClientConfig {
  hosts: string[];
  token: string;
}

export const ADMIN_TOKEN_FILE = '/var/lib/berth/controller/admin-token';

function readJson(file: string): { hosts?: string[] | string; token?: string } {
  try {
    return JSON.parse(readFileSync(file, 'utf8')) as { hosts?: string[] | string; token?: string };
  } catch {
    return {};
  }
}

export function normalizeHost(h: string): string {
  const t = h.trim().replace(/\/+$/, '');
  return /^https?:\/\//.test(t) ? t : `http://${t}`;
}

export function resolveClientConfig(flags: { host?: string; token?: string }, env = process.env, home = os.homedir()): ClientConfig {
  const file = readJson(path.join(home, '.berth', 'config.json'));
  const hostSpec = flags.host ?? env.BERTH_HOST ?? (Array.isArray(file.hosts) ? file.hosts.join(',') : file.hosts) ?? '127.0.0.1:8080';
  const hosts = hostSpec
    .split(',')
    .map((h) => h.trim())
    .filter(Boolean)
    .map(normalizeHost);
  let token = flags.token ?? env.BERTH_TOKEN ?? file.token ?? '';
  if (!token) {
    try {
      token = readFileSync(ADMIN_TOKEN_FILE, 'utf8').trim();
    } catch {
      token = '';
    }
  }
  return { hosts, token };
}

export interface RegistryLogin {
  username: string;
  password: string;
}

function configFile(home: string): string {
  return path.join(home, '.berth', 'config.json');
}

/** registryLogin returns what `berth login SERVER` stored, if anything. */
export function registryLogin(server: string, home = os.homedir()): RegistryLogin | undefined {
  const file = readJson(configFile(home)) as { auths?: Record<string, RegistryLogin> };
  return file.auths?.[server];
}

/** saveRegistryLogin stores (or with undefined, forgets) a login in ~/.berth/config.json, mode 0600. */
export function saveRegistryLogin(server: string, login: RegistryLogin | undefined, home = os.homedir()): boolean {
  const file = configFile(home);
  const cfg = readJson(file) as Record<string, unknown> & { auths?: Record<string, RegistryLogin> };
  const auths = { ...(cfg.auths ?? {}) };
  const had = server in auths;
  if (login) auths[server] = login;
  else delete auths[server];
  mkdirSync(path.dirname(file), { recursive: true, mode: 0o700 });
  writeFileSync(file, JSON.stringify({ ...cfg, auths }, null, 2) + '\n', { mode: 0o600 });
  chmodSync(file, 0o600);
  return had;
}
