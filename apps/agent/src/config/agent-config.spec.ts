// parseAgentConfig specs for --image-max-unpacked-bytes (20 GiB by default) and --pids-limit
// (4096, 0 for none): the flag before the environment, bad values refused naming the flag.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { AgentConfigError, parseAgentConfig } from './agent-config.js';

const base = ['--controller', '127.0.0.1:4243'];

test('--image-max-unpacked-bytes: default, flag, environment', () => {
  assert.equal(parseAgentConfig(base, {}).imageMaxUnpackedBytes, 20 * 1024 ** 3);
  assert.equal(parseAgentConfig(base, { BERTH_IMAGE_MAX_UNPACKED_BYTES: '5000' }).imageMaxUnpackedBytes, 5000);
  assert.equal(parseAgentConfig([...base, '--image-max-unpacked-bytes', '7000'], { BERTH_IMAGE_MAX_UNPACKED_BYTES: '5000' }).imageMaxUnpackedBytes, 7000);
});

test('--image-max-unpacked-bytes refuses what is not a positive whole number of bytes', () => {
  for (const bad of ['0', '-1', '1.5', '20G', '', '99999999999999999999'])
    assert.throws(
      () => parseAgentConfig([...base, `--image-max-unpacked-bytes=${bad}`], {}),
      (e: Error) => e instanceof AgentConfigError && e.message.startsWith(`--image-max-unpacked-bytes: "${bad}"`),
      bad,
    );
});

test('--pids-limit: 4096 by default, 0 for none, the flag before the environment; bad values refused', () => {
  assert.equal(parseAgentConfig(base, {}).pidsLimit, 4096);
  assert.equal(parseAgentConfig(base, { BERTH_PIDS_LIMIT: '0' }).pidsLimit, 0);
  assert.equal(parseAgentConfig([...base, '--pids-limit', '300'], { BERTH_PIDS_LIMIT: '0' }).pidsLimit, 300);
  for (const bad of ['-1', '1.5', 'many', ''])
    assert.throws(
      () => parseAgentConfig([...base, `--pids-limit=${bad}`], {}),
      (e: Error) => e instanceof AgentConfigError && e.message.startsWith(`--pids-limit: "${bad}"`),
      bad,
    );
});
