/**
 * berth: the docker-like client. Talks only to controllers' REST API (and,
 * for `image import`, to the cluster registry). Errors print one line and
 * exit 1; `run` exits with the container's exit code.
 */
import { Command, CommanderError } from 'commander';
import { ApiClient, CliError } from './client/api-client.js';
import { resolveClientConfig } from './client/config.js';
import { registerContainerCommands } from './commands/container.js';
import { registerServiceCommands } from './commands/service.js';
import { registerClusterCommands } from './commands/cluster.js';
import { registerRegistryCommands } from './commands/registry.js';
import { registerBuildCommand } from './commands/build.js';
import { registerNetworkCommands } from './commands/network.js';
import { registerVolumeCommands } from './commands/volume.js';

const program = new Command('berth')
  .description('Berth container cluster client')
  .version('0.1.0')
  .option('-H, --host <hosts>', 'controller HOST:PORT (comma-separated list for several)')
  .option('--token <token>', 'API bearer token')
  .enablePositionalOptions()
  .exitOverride()
  .configureOutput({ writeErr: (s) => process.stderr.write(s.startsWith('error:') ? `berth: ${s.slice(7)}` : s) });

let client: ApiClient | undefined;
const api = () => (client ??= new ApiClient(resolveClientConfig(program.opts())));

registerContainerCommands(program, api);
registerServiceCommands(program, api);
registerClusterCommands(program, api);
registerRegistryCommands(program, api);
registerBuildCommand(program, api);
registerNetworkCommands(program, api);
registerVolumeCommands(program, api);
for (const c of program.commands) {
  c.exitOverride();
  for (const sub of c.commands) {
    sub.exitOverride();
    for (const leaf of sub.commands) leaf.exitOverride();
  }
}

program.parseAsync(process.argv).catch((err) => {
  if (err instanceof CommanderError) {
    process.exitCode = err.exitCode === 0 ? 0 : 1;
    return;
  }
  process.stderr.write(`berth: ${err instanceof CliError ? err.message : (err as Error).message}\n`);
  process.exitCode = 1;
});
