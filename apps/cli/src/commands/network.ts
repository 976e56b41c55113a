/** `berth network` verbs: create, ls, inspect, rm, prune, connect, disconnect. */
import { InvalidArgumentError, type Command } from 'commander';
import type { ApiClient } from '../client/api-client.js';
import { shortId, table } from '../render/table.js';
import { aliasArg } from './args.js';
import type { Container } from '../client/types.js';
import { DriverName } from '#libs/common';

interface NetworkView {
  id: string;
  name: string;
  driver: string;
  scope: string;
  subnet: string;
  gateway: string;
  internal: boolean;
  builtin: boolean;
}

export function registerNetworkCommands(program: Command, api: () => ApiClient): void {
  const net = program.command('network').description('manage networks');
  net
    .command('create')
    .description('create a network')
    .argument('<name>')
    .option('-d, --driver <driver>', 'bridge (one host), overlay (all hosts) or macvlan (a host segment)', DriverName.BRIDGE)
    .option(
      '-o, --opt <KEY=VALUE>',
      'driver option, e.g. parent=eth0 or mode=bridge for macvlan (repeatable)',
      (v: string, prev: Record<string, string> = {}) => {
        const i = v.indexOf('=');
        if (i < 1) throw new InvalidArgumentError(`"${v}" must be KEY=VALUE`);
        return { ...prev, [v.slice(0, i)]: v.slice(i + 1) };
      },
      {},
    )
    .option('--subnet <cidr>', 'subnet, e.g. 10.30.0.0/24 (default: the next free /24 of the pool)')
    .option('--gateway <ip>', 'gateway address inside the subnet')
    .option('--ip-range <cidr>', 'allocate container addresses from this part of the subnet')
    .option('--internal', 'no traffic in or out of the network')
    .option('--attachable', 'overlay: containers (berth run, network connect) may join it, not only services')
    .action(async (name: string, o: { driver: string; opt: Record<string, string>; subnet?: string; gateway?: string; ipRange?: string; internal?: boolean; attachable?: boolean }) => {
      const n = await api().json<NetworkView>('POST', '/networks', {
        name,
        driver: o.driver,
        ...(Object.keys(o.opt).length ? { options: o.opt } : {}),
        ...(o.subnet ? { subnet: o.subnet } : {}),
        ...(o.gateway ? { gateway: o.gateway } : {}),
        ...(o.ipRange ? { ipRange: o.ipRange } : {}),
        ...(o.internal ? { internal: true } : {}),
        ...(o.attachable ? { attachable: true } : {}),
      });
      process.stdout.write(`${n.id}\n`);
    });
  net
    .command('ls')
    .description('list networks')
    .option('--json', 'JSON output')
    .action(async (o: { json?: boolean }) => {
      const list = await api().get<NetworkView[]>('/networks');
      if (o.json) return void process.stdout.write(JSON.stringify(list, null, 2) + '\n');
      process.stdout.write(
        table(
          ['NETWORK ID', 'NAME', 'DRIVER', 'SCOPE', 'SUBNET', 'INTERNAL'],
          list.map((n) => [n.builtin ? n.id : shortId(n.id), n.name, n.driver, n.scope, n.subnet, n.internal ? 'yes' : '']),
        ),
      );
    });
  net
    .command('inspect')
    .description('show a network as JSON')
    .argument('<network>')
    .action(async (ref: string) => {
      process.stdout.write(JSON.stringify(await api().get(`/networks/${encodeURIComponent(ref)}`), null, 2) + '\n');
    });
  net
    .command('rm')
    .description('remove networks no task uses')
    .argument('<network...>')
    .action(async (refs: string[]) => {
      for (const ref of refs) {
        await api().json('DELETE', `/networks/${encodeURIComponent(ref)}`);
        process.stdout.write(`${ref}\n`);
      }
    });
  net
    .command('prune')
    .description('remove every user-defined network no task uses')
    .action(async () => {
      const r = await api().json<{ removed: string[] }>('POST', '/networks/prune');
      process.stdout.write(r.removed.length ? `Deleted Networks:\n${r.removed.join('\n')}\n` : 'No networks removed\n');
    });
  net
    .command('connect')
    .description('connect a container to a network (while it runs, too)')
    .argument('<network>')
    .argument('<container>')
    .option('--alias <name>', 'another name for the container on this network (repeatable)', aliasArg, [])
    .action(async (ref: string, container: string, o: { alias: string[] }) => {
      await api().json<Container>('POST', `/networks/${encodeURIComponent(ref)}/connect`, { container, ...(o.alias.length ? { aliases: o.alias } : {}) });
    });
  net
    .command('disconnect')
    .description('disconnect a container from a network (while it runs, too)')
    .argument('<network>')
    .argument('<container>')
    .action(async (ref: string, container: string) => {
      await api().json<Container>('POST', `/networks/${encodeURIComponent(ref)}/disconnect`, { container });
    });
}
