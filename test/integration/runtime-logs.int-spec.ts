// Container output read back through the real runtime (conmon's CRI log, runc), in a network
// namespace of the test's own: output without a final newline is kept exactly, with and
// without follow and tail, on stdout and stderr.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { ownNetns, runtimeHost } from '../fixtures/runtime-host.js';
import type { TaskSpec } from '#libs/proto/messages.js';
import type { LogOptions } from '../../apps/agent/src/runtime/index.js';

if (await ownNetns(import.meta.url)) defineSuite();

function defineSuite(): void {
  const h = runtimeHost();
  const needsImage = h.skip ? { skip: h.skip } : {};
  const task = (command: string[]): TaskSpec => h.spec(command, 'none');

  /** output: what a log reader prints — each line with its newline unless it is partial. */
  async function output(taskId: string, opts: LogOptions = { follow: false, tail: -1 }, stream?: string): Promise<string> {
    let out = '';
    for await (const l of h.rt.logs(taskId, opts)) if (!stream || l.stream === stream) out += l.text + (l.partial ? '' : '\n');
    return out;
  }

  /** ran: runs a task to its end and leaves it for reading. */
  async function ran(command: string[]): Promise<string> {
    const s = task(command);
    await h.rt.prepare(s);
    await h.rt.start(s.id);
    assert.equal(await h.rt.wait(s.id), 0);
    return s.id;
  }

  before(() => h.setup());
  after(() => h.cleanup());

  test('printf abc: the output has no newline and comes back as it is', needsImage, async () => {
    const id = await ran(['printf', 'abc']);
    assert.equal(await output(id), 'abc');
    assert.equal(await output(id, { follow: true, tail: -1 }), 'abc', 'follow of an exited container');
    await h.rt.remove(id);
  });

  test('printf "line1\\npartial": both lines, the last one unterminated; tail counts it', needsImage, async () => {
    const id = await ran(['sh', '-c', 'printf "line1\\npartial"']);
    assert.equal(await output(id), 'line1\npartial');
    assert.equal(await output(id, { follow: false, tail: 1 }), 'partial');
    assert.equal(await output(id, { follow: false, tail: 2 }), 'line1\npartial');
    await h.rt.remove(id);
  });

  test('stderr without a newline is kept on its own stream', needsImage, async () => {
    const id = await ran(['sh', '-c', 'printf out; printf err >&2']);
    assert.equal(await output(id, undefined, 'stdout'), 'out');
    assert.equal(await output(id, undefined, 'stderr'), 'err');
    await h.rt.remove(id);
  });

  test('follow from the start: a line completed later and a last piece written just before exit', needsImage, async () => {
    const s = task(['sh', '-c', 'printf "a"; sleep 0.5; printf "b\\nc"; sleep 0.3; printf "d"']);
    await h.rt.prepare(s);
    await h.rt.start(s.id);
    assert.equal(await output(s.id, { follow: true, tail: -1 }), 'ab\ncd');
    assert.equal(await h.rt.wait(s.id), 0);
    assert.equal(await output(s.id), 'ab\ncd');
    await h.rt.remove(s.id);
  });
}
