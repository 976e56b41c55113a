/** Cluster verbs: node ls/inspect, join-token, image import/ls. */
import type { Command } from 'commander';
import { rm } from 'node:fs/promises';
import path from 'node:path';
import type { ApiClient } from '../client/api-client.js';
import { CliError } from '../client/api-client.js';
import { registryLogin } from '../client/config.js';
import type { Image, Info, Node } from '../client/types.js';
import { shortId, size, table } from '../render/table.js';
import { PullProgressView } from '../render/progress.js';
import { readNdjson } from '../client/ndjson.js';
import { buildSingleLayerImage, pushImage } from '#libs/oci';
import { parseImageRef } from '#libs/common';

export function registerClusterCommands(program: Command, api: () => ApiClient): void {
  const node = program.command('node').description('cluster nodes');
  node
    .command('ls')
    .description('list nodes')
    .option('--json', 'JSON output')
    .action(async (o: { json?: boolean }) => {
      const list = await api().get<Node[]>('/nodes');
      if (o.json) return void process.stdout.write(JSON.stringify(list, null, 2) + '\n');
      process.stdout.write(
        table(
          ['ID', 'HOSTNAME', 'STATUS', 'AVAILABILITY', 'TASKS', 'ADDR'],
          list.map((n) => [shortId(n.id), n.hostname, n.status, n.availability, n.tasks, n.addr]),
        ),
      );
    });
  node
    .command('inspect')
    .description('show a node as JSON')
    .argument('<node>')
    .action(async (ref: string) => {
      process.stdout.write(JSON.stringify(await api().get(`/nodes/${encodeURIComponent(ref)}`), null, 2) + '\n');
    });

  program
    .command('join-token')
    .description('print the command that joins a host to this cluster')
    .action(async () => {
      const t = await api().get<{ command: string }>('/join-token');
      process.stdout.write(`To add a host to this cluster, run on it:\n\n    ${t.command}\n\n`);
    });

  const image = program.command('image').description('images in the cluster registry');
  image
    .command('import')
    .description('make a one-layer image from a rootfs tarball and push it')
    .argument('<rootfs.tar>')
    .argument('<REPO:TAG>')
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
      const token = parsed.registry === info.registry ? await api().registryToken([`repository:${parsed.repository}:pull,push`], registryLogin(parsed.registry)) : undefined;
      const built = await buildSingleLayerImage(path.resolve(tarPath)).catch((err: Error) => {
        throw new CliError(err.message);
      });
      try {
        const digest = await pushImage(parsed.registry, parsed.repository, parsed.tag, built, { insecure: true, token });
        process.stdout.write(`${parsed.registry}/${parsed.repository}:${parsed.tag}\n${digest}\n`);
      } catch (err) {
        throw new CliError((err as Error).message);
      } finally {
        await rm(path.dirname(built.layer.path), { recursive: true, force: true });
      }
    });
  image
    .command('pull')
    .description('make an image present on every ready node (or one), with per-layer progress')
    .argument('<image>')
    .option('--node <node>', 'only this node')
    .action(async (ref: string, o: { node?: string }) => {
      const res = await api().raw('POST', '/images/pull', { image: ref, ...(o.node ? { node: o.node } : {}) }, { stream: true });
      const view = new PullProgressView(process.stderr, !o.node);
      const failures: string[] = [];
      const done: string[] = [];
      await readNdjson(res, (m: { node: string; layer?: string; phase?: string; current?: number; total?: number; status?: string; digest?: string; image?: string; error?: string }) => {
        if (m.error) failures.push(`${m.node}: ${m.error}`);
        else if (m.status === 'done') done.push(`${m.node}: ${m.image} ${m.digest}`);
        else if (m.layer) view.update({ node: m.node, layer: m.layer, phase: m.phase ?? '', current: m.current ?? 0, total: m.total ?? 0 });
      });
      for (const d of done) process.stdout.write(`${d}\n`);
      if (failures.length) throw new CliError(`pull failed on ${failures.join('; ')}`);
    });
  image
    .command('prune')
    .description('remove images no container uses, on every ready node (or one)')
    .option('--node <node>', 'only this node')
    .action(async (o: { node?: string }) => {
      const results = await api().json<Array<{ node: string; removedImages?: string[]; bytesFreed?: number; error?: string }>>('POST', '/images/prune', o.node ? { node: o.node } : {});
      for (const r of results) {
        if (r.error) process.stderr.write(`${r.node}: ${r.error}\n`);
        else
          process.stdout.write(`${r.node}: removed ${r.removedImages!.length} image(s)${r.removedImages!.length ? ` (${r.removedImages!.join(', ')})` : ''}, reclaimed ${size(r.bytesFreed ?? 0)}\n`);
      }
      if (results.some((r) => r.error)) throw new CliError('prune failed on some nodes');
    });
  image
    .command('ls')
    .description('list images')
    .option('--json', 'JSON output')
    .action(async (o: { json?: boolean }) => {
      const list = await api().get<Image[]>('/images');
      if (o.json) return void process.stdout.write(JSON.stringify(list, null, 2) + '\n');
      process.stdout.write(
        table(
          ['REPOSITORY', 'TAG', 'DIGEST', 'SIZE'],
          list.map((i) => [i.repository, i.tag, i.digest.slice(7, 19), size(i.size)]),
        ),
      );
    });
}
