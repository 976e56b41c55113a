// withRunOptions: docker run's -u, -w, --entrypoint and --stop-signal over an image's config.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { containerHostname, withRunOptions } from './image.js';
import type { TaskSpec } from '#libs/proto/messages.js';
import { runOptions } from '../../../../../test/fixtures/run-options.js';

const image = {
  architecture: 'amd64',
  os: 'linux',
  rootfs: { type: 'layers' as const, diff_ids: [] },
  config: { Entrypoint: ['/init'], Cmd: ['serve'], User: 'app', WorkingDir: '/app', StopSignal: 'SIGINT' },
};
const none = runOptions();

test("empty options keep the image's config; given ones replace it, and a new entrypoint drops the image's Cmd", () => {
  assert.deepEqual(withRunOptions(image, null), image);
  assert.deepEqual(withRunOptions(image, none), image);
  assert.deepEqual(withRunOptions(image, { ...none, user: '1000:1000', workdir: '/tmp', stopSignal: 'SIGQUIT', entrypoint: ['sh', '-c'], entrypointSet: true }).config, {
    Entrypoint: ['sh', '-c'],
    Cmd: [],
    User: '1000:1000',
    WorkingDir: '/tmp',
    StopSignal: 'SIGQUIT',
  });
  assert.deepEqual(withRunOptions(image, { ...none, entrypointSet: true }).config?.Entrypoint, [], '--entrypoint "" clears it');
});

test('the container calls itself by --hostname, else by its id', () => {
  const spec = { id: 'abcdef0123456789', options: null } as unknown as TaskSpec;
  assert.equal(containerHostname(spec), 'abcdef012345');
  assert.equal(containerHostname({ ...spec, options: { ...none, hostname: 'box' } }), 'box');
});
