/**
 * `berth build`: packs the context (honouring .dockerignore), pushes it to
 * the cluster registry as a blob, asks the controllers to build it on an
 * agent and prints the build's output as it streams; exits 1 when the build
 * fails, with the failing step's output above the error.
 */
import type { Command } from 'commander';
import { InvalidArgumentError } from 'commander';
import { rm } from 'node:fs/promises';
import path from 'node:path';
import type { ApiClient } from '../client/api-client.js';
import { CliError } from '../client/api-client.js';
import type { Info } from '../client/types.js';
import { ContextError, packContext } from '../builder/context.js';
import { readNdjson } from '../client/ndjson.js';
import { buildNetworkArg } from './args.js';
import { fileBody, pushBlob } from '#libs/oci';
import { BUILD_CONTEXT_REPOSITORY } from '#libs/common';

function buildArg(v: string, prev: Record<string, string> = {}): Record<string, string> {
  const m = /^([A-Za-z_][A-Za-z0-9_]*)(?:=([\s\S]*))?$/.exec(v);
  if (!m) throw new InvalidArgumentError(`"${v}" must be NAME=VALUE`);
  // `--build-arg NAME` takes the value from the environment, as docker does.
  const value = m[2] ?? process.env[m[1]];
  return value === undefined ? prev : { ...prev, [m[1]]: value };
}

interface BuildOpts {
  tag: string;
  file?: string;
  buildArg: Record<string, string>;
  target?: string;
  cache: boolean;
  network: string;
  quiet?: boolean;
}

export function registerBuildCommand(program: Command, api: () => ApiClient): void {
  program
    .command('build')
    .description('build an image from a Dockerfile on a cluster node and push it to the cluster registry')
    .requiredOption('-t, --tag <REPO:TAG>', 'name of the image')
    .option('-f, --file <path>', 'Dockerfile path inside the context (default: CONTEXT/Dockerfile)')
    .option('--build-arg <NAME=VALUE>', 'build-time variable (repeatable)', buildArg, {})
    .option('--target <stage>', 'build up to this stage')
    .option('--no-cache', 'do not use the layer cache')
    .option('--network <mode>', 'network of the RUN instructions: bridge, host or none', buildNetworkArg, 'bridge')
    .option('-q, --quiet', 'print only the image digest')
    .argument('<context>', 'build context directory')
    .action(async (contextDir: string, o: BuildOpts) => {
      const dir = path.resolve(contextDir);
      const dockerfile = o.file ? path.relative(dir, path.resolve(o.file)) : 'Dockerfile';
      const info = await api().get<Info>('/info');
      const ctx = await packContext(dir, dockerfile).catch((err: Error) => {
        throw new CliError(err instanceof ContextError ? err.message : `cannot read the build context: ${err.message}`);
      });
      try {
        const token = await api().registryToken([`repository:${BUILD_CONTEXT_REPOSITORY}:pull,push`]);
        if (!o.quiet) process.stderr.write(`Sending build context (${ctx.files} files, ${(ctx.size / 1e6).toFixed(1)}MB) to ${info.registry}\n`);
        await pushBlob(info.registry, BUILD_CONTEXT_REPOSITORY, ctx.digest, ctx.size, () => fileBody(ctx.file), { insecure: true, token }).catch((err: Error) => {
          throw new CliError(`cannot upload the build context: ${err.message}`);
        });
      } finally {
        await rm(path.dirname(ctx.file), { recursive: true, force: true });
      }
      const res = await api().raw(
        'POST',
        '/builds',
        {
          context: ctx.digest,
          tag: o.tag,
          dockerfile: dockerfile.split(path.sep).join('/'),
          buildArgs: o.buildArg,
          noCache: !o.cache,
          network: o.network,
          ...(o.target ? { target: o.target } : {}),
        },
        { stream: true },
      );
      let result: { digest: string; tag: string } | undefined;
      let failure = '';
      await readNdjson(res, (m: { stream?: string; error?: string; aux?: { digest: string; tag: string } }) => {
        if (m.stream !== undefined && !o.quiet) process.stdout.write(m.stream);
        if (m.error) failure = m.error;
        if (m.aux) result = m.aux;
      });
      if (failure || !result) throw new CliError(failure || 'the build ended without a result');
      process.stdout.write(o.quiet ? `${result.digest}\n` : `Successfully built ${result.digest}\nSuccessfully tagged ${result.tag}\n`);
    });
}
