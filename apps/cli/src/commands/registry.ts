/**
 * Registry verbs: `berth registry user|repo|credential|gc` (who may use the
 * cluster registry, and credentials agents use for other registries) and
 * `berth login` / `logout`, docker-like.
 */
import type { Command } from 'commander';
import type { ApiClient } from '../client/api-client.js';
import { CliError } from '../client/api-client.js';
import { registryLogin, saveRegistryLogin } from '../client/config.js';
import type { Info } from '../client/types.js';
import { table } from '../render/table.js';

interface PasswordOpts {
  password?: string;
  passwordStdin?: boolean;
}

async function readPassword(o: PasswordOpts): Promise<string> {
  if (o.password !== undefined && o.passwordStdin) throw new CliError('use either --password or --password-stdin, not both');
  if (o.password !== undefined) return o.password;
  if (!o.passwordStdin) throw new CliError('a password is needed: --password-stdin (recommended) or -p PASSWORD');
  let s = '';
  for await (const chunk of process.stdin) s += chunk;
  const pw = s.replace(/\r?\n$/, '');
  if (!pw) throw new CliError('no password on standard input');
  return pw;
}

const enc = encodeURIComponent;

function actionsArg(v: string): string[] {
  const list = v
    .split(',')
    .map((a) => a.trim())
    .filter(Boolean);
  const bad = list.filter((a) => !['pull', 'push', 'delete'].includes(a));
  if (!list.length || bad.length) throw new CliError(`actions must be a comma-separated list of pull, push, delete, got "${v}"`);
  return list;
}

export function registerRegistryCommands(program: Command, api: () => ApiClient): void {
  const reg = program.command('registry').description('access to the cluster registry');

  const user = reg.command('user').description('registry users (for docker login, skopeo --creds)');
  user
    .command('add')
    .description('add a user')
    .argument('<name>')
    .option('-p, --password <password>', 'password')
    .option('--password-stdin', 'read the password from standard input')
    .action(async (name: string, o: PasswordOpts) => {
      await api().json('POST', '/registry/users', { name, password: await readPassword(o) });
      process.stdout.write(`${name}\n`);
    });
  user
    .command('passwd')
    .description("change a user's password")
    .argument('<name>')
    .option('-p, --password <password>', 'password')
    .option('--password-stdin', 'read the password from standard input')
    .action(async (name: string, o: PasswordOpts) => {
      await api().json('PUT', `/registry/users/${enc(name)}/password`, { password: await readPassword(o) });
    });
  user
    .command('ls')
    .description('list users')
    .option('--json', 'JSON output')
    .action(async (o: { json?: boolean }) => {
      const list = await api().get<Array<{ name: string; createdAt: string }>>('/registry/users');
      if (o.json) return void process.stdout.write(JSON.stringify(list, null, 2) + '\n');
      process.stdout.write(
        table(
          ['NAME', 'CREATED'],
          list.map((u) => [u.name, u.createdAt]),
        ),
      );
    });
  user
    .command('rm')
    .description('remove a user')
    .argument('<name>')
    .action(async (name: string) => {
      await api().json('DELETE', `/registry/users/${enc(name)}`);
      process.stdout.write(`${name}\n`);
    });

  const repo = reg.command('repo').description('repository visibility and grants');
  repo
    .command('ls')
    .description('repositories with settings')
    .option('--json', 'JSON output')
    .action(async (o: { json?: boolean }) => {
      const list = await api().get<Array<{ name: string; visibility: string; grants: Array<{ user: string; actions: string[] }> }>>('/registry/repositories');
      if (o.json) return void process.stdout.write(JSON.stringify(list, null, 2) + '\n');
      process.stdout.write(
        table(
          ['REPOSITORY', 'VISIBILITY', 'GRANTS'],
          list.map((r) => [r.name, r.visibility, r.grants.map((g) => `${g.user}:${g.actions.join(',')}`).join(' ')]),
        ),
      );
    });
  repo
    .command('visibility')
    .description('make a repository public (anonymous pull) or private')
    .argument('<repo>')
    .argument('<public|private>')
    .action(async (name: string, visibility: string) => {
      if (visibility !== 'public' && visibility !== 'private') throw new CliError(`visibility must be public or private, got "${visibility}"`);
      await api().json('PUT', `/registry/repositories/${enc(name)}/visibility`, { visibility });
      process.stdout.write(`${name} is ${visibility}\n`);
    });
  repo
    .command('grant')
    .description("set a user's rights on a repository")
    .argument('<repo>')
    .argument('<user>')
    .argument('<actions>', 'comma-separated: pull,push,delete')
    .action(async (name: string, who: string, actions: string) => {
      await api().json('PUT', `/registry/repositories/${enc(name)}/grants/${enc(who)}`, { actions: actionsArg(actions) });
    });
  repo
    .command('revoke')
    .description("remove a user's rights on a repository")
    .argument('<repo>')
    .argument('<user>')
    .action(async (name: string, who: string) => {
      await api().json('DELETE', `/registry/repositories/${enc(name)}/grants/${enc(who)}`);
    });

  const cred = reg.command('credential').description('credentials agents use to pull from other registries');
  cred
    .command('ls')
    .description('list stored credentials (never the passwords)')
    .action(async () => {
      const list = await api().get<Array<{ registry: string; username: string; updatedAt: string }>>('/registry/credentials');
      process.stdout.write(
        table(
          ['REGISTRY', 'USERNAME', 'UPDATED'],
          list.map((c) => [c.registry, c.username, c.updatedAt]),
        ),
      );
    });
  cred
    .command('rm')
    .description('forget the credentials of a registry')
    .argument('<registry>')
    .action(async (registry: string) => {
      await api().json('DELETE', `/registry/credentials/${enc(registry)}`);
    });

  reg
    .command('gc')
    .description('delete blobs no manifest references (safe while pushes run)')
    .action(async () => {
      const r = await api().json<{ blobsRemoved?: number; bytesFreed?: number }>('POST', '/registry/gc');
      process.stdout.write(`${JSON.stringify(r)}\n`);
    });

  program
    .command('login')
    .description('log in to the cluster registry, or store credentials agents use for another registry')
    .argument('[server]', 'registry HOST[:PORT] (default: the cluster registry)')
    .requiredOption('-u, --username <name>', 'user name')
    .option('-p, --password <password>', 'password')
    .option('--password-stdin', 'read the password from standard input')
    .action(async (server: string | undefined, o: PasswordOpts & { username: string }) => {
      const password = await readPassword(o);
      const info = await api().get<Info>('/info');
      const target = server ?? info.registry;
      if (target === info.registry) {
        // The token endpoint refuses wrong credentials with 401.
        await api()
          .registryToken([], { username: o.username, password })
          .catch((err: Error) => {
            throw new CliError(`login to ${target} failed: ${err.message}`);
          });
        saveRegistryLogin(target, { username: o.username, password });
        process.stdout.write('Login Succeeded\n');
      } else {
        await api().json('PUT', '/registry/credentials', { registry: target, username: o.username, password });
        process.stdout.write(`Credentials for ${target} stored in the cluster; agents use them to pull its images\n`);
      }
    });

  program
    .command('logout')
    .description('forget registry credentials (local ones for the cluster registry, stored ones for another)')
    .argument('[server]', 'registry HOST[:PORT] (default: the cluster registry)')
    .action(async (server: string | undefined) => {
      const info = await api().get<Info>('/info');
      const target = server ?? info.registry;
      if (target === info.registry || registryLogin(target)) {
        if (!saveRegistryLogin(target, undefined)) throw new CliError(`not logged in to ${target}`);
      } else await api().json('DELETE', `/registry/credentials/${enc(target)}`);
      process.stdout.write(`Removed login credentials for ${target}\n`);
    });
}
