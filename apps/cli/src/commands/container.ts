/** Container verbs: run, ps, logs, stop, rm, inspect, rename, port, wait. */
import type { Command } from 'commander';
import type { ApiClient } from '../client/api-client.js';
import { CliError } from '../client/api-client.js';
import type { Container } from '../client/types.js';
import { ago, shortId, table } from '../render/table.js';
import { aliasArg, attachmentsBody, collect, envArg, logQuery, mountArg, networksArg, publishArg, volumeArg, withLogFlags, type LogFlags } from './args.js';
import { parsePublish, type Attachment, type Mount } from '#libs/common';
import { envFiles, runOptionsBody, withRunOptionFlags, type RunOptionFlags } from './run-options.js';

const TERMINAL = new Set(['complete', 'shutdown', 'failed', 'rejected', 'orphaned', 'removed']);
/** START_WAIT_MS: how long `berth run` waits for the container to start (image pulls included). */
const START_WAIT_MS = 300_000;

async function waitStarted(api: ApiClient, id: string): Promise<Container> {
  const deadline = Date.now() + START_WAIT_MS;
  for (;;) {
    const c = await api.get<Container>(`/containers/${id}`);
    if (c.state === 'running' || TERMINAL.has(c.state)) return c;
    if (Date.now() > deadline) throw new CliError(`container ${c.name} did not start within ${START_WAIT_MS / 1000} s (state ${c.state}: ${c.message})`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

export function registerContainerCommands(program: Command, api: () => ApiClient): void {
  withRunOptionFlags(program.command('run'))
    .description('run a one-off container somewhere in the cluster')
    .option('-d, --detach', 'print the container id and return')
    .option('--name <name>', 'container name')
    .option('-e, --env <KEY=VALUE>', 'environment variable (repeatable)', envArg, [])
    .option('--network <net>', 'bridge, host, none or a network from berth network ls, or name=NET,alias=A (repeatable; the first has the default route)', networksArg, [])
    .option('--network-alias <name>', 'another name for the container on its first network (repeatable)', aliasArg, [])
    .option('-p, --publish <[HOST:]CONTAINER[/proto]>', 'publish a port on the host the container runs on; without HOST a free port of 32768-60999 (repeatable)', publishArg, [])
    .option('-v, --volume <[SRC:]DST[:ro]>', 'a named volume (NAME:/path), a bind (/host:/path) or an anonymous volume (/path) (repeatable)', volumeArg, [])
    .option('--mount <type=...,target=...>', 'type=volume|bind|tmpfs,source=,target=,readonly,bind-propagation=,tmpfs-size=,tmpfs-mode= (repeatable)', mountArg, [])
    .option('--volumes-from <container[:ro]>', "mount another container's volumes and binds; runs on its node (repeatable)", collect, [])
    .option('--rm', 'remove the container (and its anonymous volumes) when it exits')
    .argument('<image>')
    .argument('[command...]')
    .passThroughOptions()
    .action(
      async (
        image: string,
        command: string[],
        o: RunOptionFlags & {
          detach?: boolean;
          name?: string;
          env: string[];
          network: Attachment[];
          networkAlias: string[];
          publish: string[];
          rm?: boolean;
          volume: Mount[];
          mount: Mount[];
          volumesFrom: string[];
        },
      ) => {
        const options = runOptionsBody(o);
        const c = await api().json<Container>('POST', '/containers', {
          image,
          command,
          env: [...envFiles(o.envFile), ...o.env],
          ...attachmentsBody(o.network, o.networkAlias),
          publish: o.publish,
          ...(o.name ? { name: o.name } : {}),
          autoRemove: !!o.rm,
          ...(o.volume.length || o.mount.length ? { mounts: [...o.volume, ...o.mount] } : {}),
          ...(o.volumesFrom.length ? { volumesFrom: o.volumesFrom } : {}),
          ...(Object.keys(options).length ? { options } : {}),
        });
        if (o.detach) return void process.stdout.write(`${c.id}\n`);
        const started = await waitStarted(api(), c.id);
        if (started.state === 'rejected') {
          if (o.rm) await api().json('DELETE', `/containers/${c.id}?force=true&volumes=true`);
          process.stderr.write(`berth: ${started.error || started.message}\n`);
          process.exitCode = 125;
          return;
        }
        await api().stream(`/containers/${c.id}/logs?follow=true`, process.stdout);
        const w = await api().get<{ state: string; exitCode: number | null; error: string }>(`/containers/${c.id}/wait`);
        if (o.rm) await api().json('DELETE', `/containers/${c.id}?force=true&volumes=true`);
        process.exitCode = w.exitCode ?? 125;
      },
    );

  program
    .command('ps')
    .description('list containers')
    .option('-a, --all', 'include stopped containers')
    .option('--json', 'JSON output')
    .action(async (o: { all?: boolean; json?: boolean }) => {
      const list = await api().get<Container[]>(`/containers${o.all ? '?all=true' : ''}`);
      if (o.json) return void process.stdout.write(JSON.stringify(list, null, 2) + '\n');
      process.stdout.write(
        table(
          ['CONTAINER ID', 'IMAGE', 'COMMAND', 'CREATED', 'STATUS', 'NODE', 'NAMES'],
          list.map((c) => [shortId(c.id), c.image, JSON.stringify(c.command.join(' ')).slice(0, 30), ago(c.createdAt), c.exitCode !== null ? `${c.state} (${c.exitCode})` : c.state, c.node, c.name]),
        ),
      );
    });

  withLogFlags(program.command('logs'), 'only the last N lines')
    .description("print a container's output")
    .argument('<container>')
    .action(async (ref: string, o: LogFlags) => {
      await api().stream(`/containers/${encodeURIComponent(ref)}/logs?${logQuery(o)}`, process.stdout);
    });

  program
    .command('stop')
    .description('stop containers')
    .argument('<containers...>')
    .action(async (refs: string[]) => {
      for (const r of refs) {
        await api().json('POST', `/containers/${encodeURIComponent(r)}/stop`);
        process.stdout.write(`${r}\n`);
      }
    });

  program
    .command('rm')
    .description('remove containers')
    .argument('<containers...>')
    .option('-f, --force', 'remove running containers too')
    .option('-v, --volumes', 'remove their anonymous volumes too')
    .action(async (refs: string[], o: { force?: boolean; volumes?: boolean }) => {
      for (const r of refs) {
        const q = [o.force ? 'force=true' : '', o.volumes ? 'volumes=true' : ''].filter(Boolean).join('&');
        await api().json('DELETE', `/containers/${encodeURIComponent(r)}${q ? `?${q}` : ''}`);
        process.stdout.write(`${r}\n`);
      }
    });

  program
    .command('inspect')
    .description('show a container as JSON')
    .argument('<container>')
    .action(async (ref: string) => {
      process.stdout.write(JSON.stringify(await api().get(`/containers/${encodeURIComponent(ref)}`), null, 2) + '\n');
    });

  program
    .command('rename')
    .description('rename a container')
    .argument('<container>')
    .argument('<new-name>')
    .action(async (ref: string, name: string) => {
      await api().json('POST', `/containers/${encodeURIComponent(ref)}/rename`, { name });
    });

  program
    .command('port')
    .description("list a container's published ports, or the host port of one")
    .argument('<container>')
    .argument('[port[/proto]]')
    .action(async (ref: string, wanted?: string) => {
      const c = await api().get<Container>(`/containers/${encodeURIComponent(ref)}`);
      const published = c.ports.map(parsePublish).filter((p) => p.hostPort);
      if (wanted === undefined) return void process.stdout.write(published.map((p) => `${p.containerPort}/${p.protocol} -> 0.0.0.0:${p.hostPort}\n`).join(''));
      const [port, proto = 'tcp'] = wanted.split('/');
      const hit = published.filter((p) => String(p.containerPort) === port && p.protocol === proto);
      if (!hit.length) throw new CliError(`no public port '${port}/${proto}' published for ${c.name}`);
      process.stdout.write(hit.map((p) => `0.0.0.0:${p.hostPort}\n`).join(''));
    });

  program
    .command('wait')
    .description('wait until containers stop, then print their exit codes')
    .argument('<containers...>')
    .action(async (refs: string[]) => {
      for (const r of refs) {
        const w = await api().get<{ state: string; exitCode: number | null; error: string }>(`/containers/${encodeURIComponent(r)}/wait`);
        if (w.state === 'removed' || w.state === 'unknown') throw new CliError(`${r}: ${w.error}`);
        process.stdout.write(`${w.exitCode ?? 125}\n`);
      }
    });
}
