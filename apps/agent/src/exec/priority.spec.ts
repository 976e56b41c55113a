// Priority specs: commands started from a raised thread, or through the spawner process made from it, run at the normal priority.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { getPriority, setPriority } from 'node:os';
import { atNormal, normalPriority } from './priority.js';
import { run } from './run.js';

test('at normal priority a command is left as it is', () => {
  assert.equal(getPriority(0), 0);
  assert.deepEqual(atNormal('runc', ['list']), ['runc', ['list']]);
});

test('from a raised thread a command is started at nice 0, and the thread can go back', { skip: process.getuid?.() !== 0 && 'raising a priority needs root' }, async () => {
  setPriority(0, -5);
  try {
    const [cmd, args] = atNormal('sh', ['-c', 'cut -d" " -f19 /proc/self/stat']);
    assert.deepEqual([cmd, args.slice(0, 2)], ['nice', ['-n', '5']]);
    // Commands through run() start in the spawner process, which runs at the normal priority.
    assert.equal((await run('sh', ['-c', 'cut -d" " -f19 /proc/self/stat'])).stdout.trim(), '0');
  } finally {
    normalPriority();
  }
  assert.equal(getPriority(0), 0);
});
