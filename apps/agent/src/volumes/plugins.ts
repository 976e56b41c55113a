/**
 * VolumePlugins: volume drivers outside the agent, reached with Docker's
 * volume plugin protocol — JSON POSTed over HTTP to a unix socket
 * <dir>/<name>.sock (Plugin.Activate, VolumeDriver.Create / Remove / Mount /
 * Unmount / Get / Capabilities). Every call is bounded (CALL_TIMEOUT_MS), so a
 * plugin that does not answer fails the task with the reason instead of
 * hanging it. The agent reports the plugins it finds (name and scope) with
 * its node description.
 */
import http from 'node:http';
import { readdir } from 'node:fs/promises';
import path from 'node:path';
import { RuntimeError } from '../errors.js';
import type { MountedVolume, VolumeDriver } from './volume-driver.js';

/** CALL_TIMEOUT_MS bounds one plugin call. */
export const CALL_TIMEOUT_MS = 10_000;

export interface PluginInfo {
  name: string;
  scope: 'local' | 'global';
}

/** pluginCall POSTs one protocol call; a non-empty Err in the answer is thrown. */
export function pluginCall(socket: string, method: string, body: object, timeoutMs = CALL_TIMEOUT_MS): Promise<Record<string, unknown>> {
  const plugin = path.basename(socket, '.sock');
  return new Promise((resolve, reject) => {
    const req = http.request(
      { socketPath: socket, path: `/${method}`, method: 'POST', headers: { accept: 'application/vnd.docker.plugins.v1.2+json', 'content-type': 'application/json' }, timeout: timeoutMs },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => {
          let out: Record<string, unknown>;
          try {
            out = JSON.parse(Buffer.concat(chunks).toString('utf8') || '{}') as Record<string, unknown>;
          } catch {
            return reject(new RuntimeError(`volume plugin ${plugin}: ${method} answered with something that is not JSON`));
          }
          if (out.Err) return reject(new RuntimeError(`volume plugin ${plugin}: ${method}: ${typeof out.Err === 'string' ? out.Err : JSON.stringify(out.Err)}`));
          if (res.statusCode !== 200) return reject(new RuntimeError(`volume plugin ${plugin}: ${method} answered HTTP ${res.statusCode}`));
          resolve(out);
        });
      },
    );
    req.on('timeout', () => req.destroy(new RuntimeError(`volume plugin ${plugin} did not answer ${method} within ${timeoutMs / 1000} s`)));
    req.on('error', (err) => reject(err instanceof RuntimeError ? err : new RuntimeError(`volume plugin ${plugin}: ${err.message}`)));
    req.end(JSON.stringify(body));
  });
}

export class VolumePlugins {
  private known = new Map<string, PluginInfo>();

  constructor(
    private readonly dir: string,
    private readonly timeoutMs = CALL_TIMEOUT_MS,
  ) {}

  private socket(name: string): string {
    return path.join(this.dir, `${name}.sock`);
  }

  /** scan activates every socket in the plugin dir; plugins that do not answer as volume drivers are left out. */
  async scan(): Promise<PluginInfo[]> {
    const names = (await readdir(this.dir).catch(() => [] as string[])).filter((f) => f.endsWith('.sock')).map((f) => f.slice(0, -5));
    const found = new Map<string, PluginInfo>();
    await Promise.all(
      names.map(async (name) => {
        try {
          const act = await pluginCall(this.socket(name), 'Plugin.Activate', {}, this.timeoutMs);
          if (!(act.Implements as string[] | undefined)?.includes('VolumeDriver')) return;
          const caps = await pluginCall(this.socket(name), 'VolumeDriver.Capabilities', {}, this.timeoutMs).catch(() => ({}) as Record<string, unknown>);
          const scope = (caps.Capabilities as { Scope?: string } | undefined)?.Scope === 'global' ? 'global' : 'local';
          found.set(name, { name, scope });
        } catch {
          /* not a working volume plugin */
        }
      }),
    );
    this.known = found;
    return [...found.values()].sort((a, b) => a.name.localeCompare(b.name));
  }

  list(): PluginInfo[] {
    return [...this.known.values()].sort((a, b) => a.name.localeCompare(b.name));
  }

  private async call(driver: string, method: string, body: object): Promise<Record<string, unknown>> {
    if (!this.known.has(driver)) await this.scan();
    if (!this.known.has(driver)) throw new RuntimeError(`volume plugin "${driver}" is not on this host (no working ${this.socket(driver)})`);
    return pluginCall(this.socket(driver), method, body, this.timeoutMs);
  }

  /** mount makes the volume if the plugin does not have it yet, mounts it for container `id` and returns the host path. */
  async mount(driver: string, name: string, options: Record<string, string>, id: string): Promise<string> {
    const exists = await this.call(driver, 'VolumeDriver.Get', { Name: name }).then(
      () => true,
      () => false,
    );
    if (!exists) await this.call(driver, 'VolumeDriver.Create', { Name: name, Opts: options });
    const r = await this.call(driver, 'VolumeDriver.Mount', { Name: name, ID: id });
    const mp = typeof r.Mountpoint === 'string' ? r.Mountpoint : '';
    if (!mp.startsWith('/')) throw new RuntimeError(`volume plugin ${driver} gave no mountpoint for ${name}`);
    return mp;
  }

  async unmount(driver: string, name: string, id: string): Promise<void> {
    await this.call(driver, 'VolumeDriver.Unmount', { Name: name, ID: id });
  }

  async remove(driver: string, name: string): Promise<void> {
    const exists = await this.call(driver, 'VolumeDriver.Get', { Name: name }).then(
      () => true,
      () => false,
    );
    if (exists) await this.call(driver, 'VolumeDriver.Remove', { Name: name });
  }
}

/** PluginVolumeDriver: one volume plugin as a VolumeDriver. Its volumes are never copied up (`created` is false). */
export class PluginVolumeDriver implements VolumeDriver {
  constructor(
    private readonly plugins: VolumePlugins,
    private readonly name: string,
  ) {}

  async mount(name: string, options: Record<string, string>, containerId: string): Promise<MountedVolume> {
    return { path: await this.plugins.mount(this.name, name, options, containerId), created: false };
  }

  unmount(name: string, containerId: string): Promise<void> {
    return this.plugins.unmount(this.name, name, containerId);
  }

  remove(name: string): Promise<void> {
    return this.plugins.remove(this.name, name);
  }
}
