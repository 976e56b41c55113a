// `berth build` flag specs: --network takes bridge, host or none (default bridge), and a bad value fails naming the flag.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Command } from 'commander';
import { registerBuildCommand } from './build.js';

class Parsed extends Error {}

/** networkOf parses a `berth build` command line up to its first API call and returns the --network it read. */
async function networkOf(args: string[]): Promise<string> {
  const program = new Command().exitOverride().configureOutput({ writeErr: () => {} });
  registerBuildCommand(program, () => {
    throw new Parsed();
  });
  program.commands.forEach((c) => c.exitOverride().configureOutput({ writeErr: () => {} }));
  await assert.rejects(program.parseAsync(['build', '-t', 'app:1', ...args, '.'], { from: 'user' }), Parsed);
  return program.commands[0].opts<{ network: string }>().network;
}

test('--network takes bridge, host or none, and is bridge when not given', async () => {
  assert.equal(await networkOf([]), 'bridge');
  for (const n of ['bridge', 'host', 'none']) assert.equal(await networkOf(['--network', n]), n);
});

test('any other --network value fails naming the flag', async () => {
  for (const bad of ['default', 'mynet', '']) {
    await assert.rejects(networkOf(['--network', bad]), (err: Error) => /--network/.test(err.message) && /must be bridge, host or none/.test(err.message), bad);
  }
});
