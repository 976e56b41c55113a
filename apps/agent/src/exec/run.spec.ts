/** Unit tests for run/detach through the spawner process: output, input, failures as execFile reports them. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { detach, run, type ExecError } from './run.js';

test('run returns stdout and stderr, and feeds input to stdin', async () => {
  assert.deepEqual(await run('sh', ['-c', 'echo out; echo err >&2']), { stdout: 'out\n', stderr: 'err\n' });
  assert.equal((await run('cat', [], { input: 'fed in' })).stdout, 'fed in');
  assert.equal((await run('pwd', [], { cwd: '/tmp' })).stdout.trim(), '/tmp');
  assert.equal((await run('sh', ['-c', 'echo $X'], { env: { X: 'given' } })).stdout.trim(), 'given');
});

test('run rejects with the exit code, output and stderr, or the errno of a missing command', async () => {
  const failed = (await run('sh', ['-c', 'echo partial; echo why >&2; exit 3']).catch((e: ExecError) => e)) as ExecError;
  assert.deepEqual([failed.code, failed.stdout, failed.stderr], [3, 'partial\n', 'why\n']);
  assert.match(failed.message, /Command failed: sh -c/);
  const missing = (await run('/nonexistent/cmd', []).catch((e: ExecError) => e)) as ExecError;
  assert.equal(missing.code, 'ENOENT');
  const slow = (await run('sleep', ['5'], { timeout: 100 }).catch((e: ExecError) => e)) as ExecError;
  assert.deepEqual([slow.killed, slow.signal], [true, 'SIGTERM']);
});

test('a command that fails before reading its input fails as itself, not as a broken pipe', async () => {
  const e = (await run('sh', ['-c', 'exit 7'], { input: 'x'.repeat(1 << 20) }).catch((err: ExecError) => err)) as ExecError;
  assert.equal(e.code, 7);
});

test('detach resolves with the first line on fd 3 and leaves the command running', async () => {
  const r = await detach('sh', ['-c', 'echo \'{"data": 42}\' >&3; sleep 0.2'], process.env, 5_000);
  assert.equal(r.line, '{"data": 42}');
  const exited = await detach('sh', ['-c', 'echo bad >&2; exit 4'], process.env, 5_000);
  assert.deepEqual(exited, { line: '', stderr: 'bad\n' }, 'no line: the caller reports stderr');
  const missing = (await detach('/nonexistent/cmd', [], process.env, 5_000).catch((e: ExecError) => e)) as ExecError;
  assert.equal(missing.code, 'ENOENT');
  const silent = await detach('sh', ['-c', 'exec 3>&-; sleep 0.1'], process.env, 5_000);
  assert.equal(silent.line, '', 'closing the pipe without a line');
});

test('many commands at once all come back', async () => {
  const outs = await Promise.all(Array.from({ length: 50 }, (_, i) => run('echo', [String(i)])));
  assert.deepEqual(
    outs.map((o) => Number(o.stdout)),
    Array.from({ length: 50 }, (_, i) => i),
  );
});
