/** Cluster verbs: node ls/inspect, join-token, image import/ls. */
import type { Command } from 'commander';
import { rm } from 'node:fs/promises';
import path from 'node:path';
import type { ApiClient } from '../client/api-client.js';
import { CliError } from '../client/api-client.js';
import { registryLogin } from '../client/config.js';
import type { Image, Info, Node } from '../client/types.js';
import { shortId, size, table } from '../render/table.js';
import { buildSingleLayerImage, pushImage } from '../../../../libs/oci/src/index.js';
import { parseImageRef } from '../../../../libs/common/src/index.js';

export function registerClusterCommands(program: Command, api: () => ApiClient): void {
  const node = program.command('node').description('cluster nodes');
  node.command('ls').description('list nodes').option('--json', 'JSON output')
    .action(async (o: { json?: boolean }) => {
      const list = await api().get<Node[]>('/nodes');
      if (o.json) return void process.stdout.write(JSON.stringify(list, null, 2) + '\n');
      process.stdout.write(table(['ID', 'HOSTNAME', 'STATUS', 'AVAILABILITY', 'TASKS', 'ADDR'], list.map((n) => [shortId(n.id), n.hostname, n.status, n.availability, n.tasks, n.addr])));
    });
  node.command('inspect').description('show a node as JSON').argument('<node>')
    .action(async (ref: string) => {
      process.stdout.write(JSON.stringify(await api().get(`/nodes/${encodeURIComponent(ref)}`), null, 2) + '\n');
    });

  program.command('join-token').description('print the command that joins a host to this cluster')
    .action(async () => {
      const t = await api().get<{ command: string }>('/join-token');
      process.stdout.write(`To add a host to this cluster, run on it:\n\n    ${t.command}\n\n`);
    });

  const image = program.command('image').description('images in the cluster registry');
  image.command('import').description('make a one-layer image from a rootfs tarball and push it').argument('<rootfs.tar>').argument('<REPO:TAG>')
    .action(async (tarPath: string, ref: string) => {
      const info = await api().get<Info>('/info');
      let parsed;
      try {
        parsed = parseImageRef(ref, info.registry);
      } catch (err) {
        throw new CliError((err as Error).message);
      }
      if (parsed.digest) throw new CliError('import needs REPO:TAG, not a digest');
      // The cluster registry wants a push token: as the `berth login` user when there is one, else as admin.
      const token = parsed.registry === info.registry
        ? await api().registryToken([`repository:${parsed.repository}:pull,push`], registryLogin(parsed.registry)) : undefined;
      const built = await buildSingleLayerImage(path.resolve(tarPath)).catch((err: Error) => { throw new CliError(err.message); });
      try {
        const digest = await pushImage(parsed.registry, parsed.repository, parsed.tag, built, { insecure: true, token });
        process.stdout.write(`${parsed.registry}/${parsed.repository}:${parsed.tag}\n${digest}\n`);
      } catch (err) {
        throw new CliError((err as Error).message);
      } finally {
        await rm(path.dirname(built.layer.path), { recursive: true, force: true });
      }
    });
  image.command('ls').description('list images').option('--json', 'JSON output')
    .action(async (o: { json?: boolean }) => {
      const list = await api().get<Image[]>('/images');
      if (o.json) return void process.stdout.write(JSON.stringify(list, null, 2) + '\n');
      process.stdout.write(table(['REPOSITORY', 'TAG', 'DIGEST', 'SIZE'], list.map((i) => [i.repository, i.tag, i.digest.slice(7, 19), size(i.size)])));
    });
}
