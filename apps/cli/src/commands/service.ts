/** `berth service` verbs: create, ls, ps, scale, logs, rm, inspect. */
import { Command, InvalidArgumentError } from 'commander';
import type { ApiClient } from '../client/api-client.js';
import type { Service, Task } from '../client/types.js';
import { ago, shortId, table } from '../render/table.js';
import { aliasArg, attachmentsBody, envArg, intArg, logQuery, mountArg, networksArg, parseScale, publishArg, volumeArg, withLogFlags, type LogFlags } from './args.js';
import type { Attachment, Mount } from '#libs/common';

export function registerServiceCommands(program: Command, api: () => ApiClient): void {
  const svc = program.command('service').description('manage replicated services');

  svc
    .command('create')
    .description('create a service')
    .requiredOption('--name <name>', 'service name')
    .option('--replicas <n>', 'number of tasks', intArg('--replicas', 0, 10000), 1)
    .option('-e, --env <KEY=VALUE>', 'environment variable (repeatable)', envArg, [])
    .option('--network <net>', 'bridge, host, none or a network from berth network ls, or name=NET,alias=A (repeatable; the first has the default route)', networksArg, [])
    .option('--network-alias <name>', "another name for the service's tasks on its first network (repeatable)", aliasArg, [])
    .option(
      '--endpoint-mode <mode>',
      "vip: the service name gives one virtual IP balanced over the tasks; dnsrr: the tasks' addresses",
      (v: string) => {
        if (v !== 'vip' && v !== 'dnsrr') throw new InvalidArgumentError('--endpoint-mode must be vip or dnsrr');
        return v;
      },
      'vip',
    )
    .option('-p, --publish <[HOST:]CONTAINER[/proto]>', "publish a port on each task's host (one task per host holds it; without HOST a free one; repeatable)", publishArg, [])
    .argument('<image>')
    .argument('[command...]')
    .passThroughOptions()
    .option('-v, --volume <[SRC:]DST[:ro]>', 'a named volume (NAME:/path), a bind (/host:/path) or an anonymous volume per task (/path) (repeatable)', volumeArg, [])
    .option('--mount <type=...,target=...>', 'type=volume|bind|tmpfs,source=,target=,readonly,bind-propagation=,tmpfs-size=,tmpfs-mode= (repeatable)', mountArg, [])
    .action(
      async (
        image: string,
        command: string[],
        o: {
          name: string;
          replicas: number;
          env: string[];
          network: Attachment[];
          networkAlias: string[];
          publish: string[];
          endpointMode: string;
          volume: Mount[];
          mount: Mount[];
        },
      ) => {
        const s = await api().json<Service>('POST', '/services', {
          name: o.name,
          image,
          replicas: o.replicas,
          command,
          env: o.env,
          ...attachmentsBody(o.network, o.networkAlias),
          publish: o.publish,
          endpointMode: o.endpointMode,
          ...(o.volume.length || o.mount.length ? { mounts: [...o.volume, ...o.mount] } : {}),
        });
        process.stdout.write(`${s.id}\n`);
      },
    );

  svc
    .command('ls')
    .description('list services')
    .option('--json', 'JSON output')
    .action(async (o: { json?: boolean }) => {
      const list = await api().get<Service[]>('/services');
      if (o.json) return void process.stdout.write(JSON.stringify(list, null, 2) + '\n');
      process.stdout.write(
        table(
          ['ID', 'NAME', 'REPLICAS', 'IMAGE'],
          list.map((s) => [shortId(s.id), s.name, `${s.running}/${s.replicas}`, s.image]),
        ),
      );
    });

  svc
    .command('ps')
    .description("list a service's tasks")
    .argument('<service>')
    .option('-a, --all', 'include shut down tasks')
    .option('--json', 'JSON output')
    .action(async (ref: string, o: { all?: boolean; json?: boolean }) => {
      const tasks = await api().get<Task[]>(`/services/${encodeURIComponent(ref)}/tasks?all=${o.all ? 'true' : 'false'}`);
      if (o.json) return void process.stdout.write(JSON.stringify(tasks, null, 2) + '\n');
      process.stdout.write(
        table(
          ['ID', 'NAME', 'NODE', 'DESIRED STATE', 'CURRENT STATE', 'ERROR'],
          tasks.map((t) => [shortId(t.id), t.name, t.node, t.desiredState, `${t.state} ${ago(t.statusAt)}`, t.error || (t.state === 'pending' ? t.message : '')]),
        ),
      );
    });

  svc
    .command('scale')
    .description('set replica counts')
    .argument('<SERVICE=REPLICAS...>')
    .action(async (pairs: string[]) => {
      for (const { name, replicas } of parseScale(pairs)) {
        await api().json('PATCH', `/services/${encodeURIComponent(name)}`, { replicas });
        process.stdout.write(`${name} scaled to ${replicas}\n`);
      }
    });

  withLogFlags(svc.command('logs'), 'last N lines per task')
    .description("print a service's output")
    .argument('<service>')
    .action(async (ref: string, o: LogFlags) => {
      await api().stream(`/services/${encodeURIComponent(ref)}/logs?${logQuery(o)}`, process.stdout);
    });

  svc
    .command('rm')
    .description('remove services')
    .argument('<services...>')
    .action(async (refs: string[]) => {
      for (const r of refs) {
        await api().json('DELETE', `/services/${encodeURIComponent(r)}`);
        process.stdout.write(`${r}\n`);
      }
    });

  svc
    .command('inspect')
    .description('show a service as JSON')
    .argument('<service>')
    .action(async (ref: string) => {
      process.stdout.write(JSON.stringify(await api().get(`/services/${encodeURIComponent(ref)}`), null, 2) + '\n');
    });
}
