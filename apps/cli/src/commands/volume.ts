/** `berth volume` verbs: create, ls, inspect, rm, prune. */
import { InvalidArgumentError, type Command } from 'commander';
import type { ApiClient } from '../client/api-client.js';
import { table } from '../render/table.js';

interface VolumeView {
  name: string;
  driver: string;
  node: string;
  anonymous: boolean;
}

function keyValue(flag: string) {
  return (v: string, prev: Record<string, string> = {}) => {
    const i = v.indexOf('=');
    if (i < 1) throw new InvalidArgumentError(`${flag} "${v}" must be KEY=VALUE`);
    return { ...prev, [v.slice(0, i)]: v.slice(i + 1) };
  };
}

export function registerVolumeCommands(program: Command, api: () => ApiClient): void {
  const vol = program.command('volume').description('manage volumes');
  vol
    .command('create')
    .description('create a volume (named after a random id without NAME)')
    .argument('[name]')
    .option('-d, --driver <driver>', 'volume driver', 'local')
    .option('-o, --opt <KEY=VALUE>', 'driver option (repeatable)', keyValue('--opt'), {})
    .option('--label <KEY=VALUE>', 'label (repeatable)', keyValue('--label'), {})
    .action(async (name: string | undefined, o: { driver: string; opt: Record<string, string>; label: Record<string, string> }) => {
      const v = await api().json<VolumeView>('POST', '/volumes', {
        ...(name ? { name } : {}),
        driver: o.driver,
        ...(Object.keys(o.opt).length ? { options: o.opt } : {}),
        ...(Object.keys(o.label).length ? { labels: o.label } : {}),
      });
      process.stdout.write(`${v.name}\n`);
    });
  vol
    .command('ls')
    .description('list volumes')
    .option('--json', 'JSON output')
    .action(async (o: { json?: boolean }) => {
      const list = await api().get<VolumeView[]>('/volumes');
      if (o.json) return void process.stdout.write(JSON.stringify(list, null, 2) + '\n');
      process.stdout.write(
        table(
          ['DRIVER', 'VOLUME NAME', 'NODE'],
          list.map((v) => [v.driver, v.name, v.node]),
        ),
      );
    });
  vol
    .command('inspect')
    .description('show a volume as JSON')
    .argument('<volume>')
    .action(async (name: string) => {
      process.stdout.write(JSON.stringify(await api().get(`/volumes/${encodeURIComponent(name)}`), null, 2) + '\n');
    });
  vol
    .command('rm')
    .description('remove volumes no task uses (their data too)')
    .argument('<volume...>')
    .option('-f, --force', 'remove the volume even when its node cannot delete the data now')
    .action(async (names: string[], o: { force?: boolean }) => {
      for (const n of names) {
        await api().json('DELETE', `/volumes/${encodeURIComponent(n)}${o.force ? '?force=true' : ''}`);
        process.stdout.write(`${n}\n`);
      }
    });
  vol
    .command('prune')
    .description('remove unused anonymous volumes (every unused volume with --all)')
    .option('-a, --all', 'named volumes too')
    .action(async (o: { all?: boolean }) => {
      const r = await api().json<{ removed: string[] }>('POST', `/volumes/prune${o.all ? '?all=true' : ''}`);
      process.stdout.write(r.removed.length ? `Deleted Volumes:\n${r.removed.join('\n')}\n` : 'No volumes removed\n');
    });
}
