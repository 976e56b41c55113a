/**
 * The Runtime contract (apps/agent/src/runtime/runtime.ts) as one suite that
 * every implementation must pass, as containerd's snapshotter testsuite:
 * a spec file calls runtimeConformance with a way to open the runtime under
 * test and to make a container config running one of the suite's programs.
 * The suite only uses the interface, never the implementation's files.
 */
import { randomBytes } from 'node:crypto';
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import type { ContainerConfig, EtcFiles, Runtime } from '../../apps/agent/src/runtime/index.js';
import { ContainerNotFoundError, InvalidTaskIdError } from '../../apps/agent/src/errors.js';

/** Program: what a container of the suite does; each implementation's fixture turns it into a command. */
export type Program =
  /** writes stdout then stderr exactly as given, then exits with `exit` */
  | { kind: 'print'; stdout: string; stderr: string; exit: number }
  /** writes one of its /etc files, then exits 0 */
  | { kind: 'cat'; file: keyof EtcFiles }
  /** runs until stopped: with onStop it exits with that code on the stop signal; without, it ignores it */
  | { kind: 'serve'; onStop?: number };

export interface RuntimeUnderTest {
  runtime: Runtime;
  config(id: string, program: Program, etc: EtcFiles): ContainerConfig;
}

export interface ConformanceOptions {
  /** A reason to skip the suite (what the implementation needs is missing here). */
  skip?: string;
}

/** plainConfig: a container of the suite's (no network, root, no volumes) with the implementation's image and command. */
export function plainConfig(id: string, etc: EtcFiles, own: Pick<ContainerConfig, 'layers' | 'image' | 'command' | 'env'>): ContainerConfig {
  return { id, ...own, hostname: id.slice(0, 12), network: 'none', user: { uid: 0, gid: 0 }, etc, volumes: [], mounts: [], metadata: {} };
}

const ETC: EtcFiles = { hosts: '127.0.0.1\tlocalhost\n', hostname: 'conformance\n', resolvConf: '' };

/** output: what a reader of the logs prints — each line with its newline unless it is partial. */
async function output(rt: Runtime, id: string, stream?: string, opts = { follow: false, tail: -1 }): Promise<string> {
  let out = '';
  for await (const l of rt.logs(id, opts, AbortSignal.timeout(20_000))) if (!stream || l.stream === stream) out += l.text + (l.partial ? '' : '\n');
  return out;
}

export function runtimeConformance(name: string, open: () => Promise<RuntimeUnderTest>, close: () => Promise<void>, opts: ConformanceOptions = {}): void {
  describe(`Runtime conformance: ${name}`, opts.skip ? { skip: opts.skip } : {}, () => {
    let u: RuntimeUnderTest;
    let rt: Runtime;
    const made: string[] = [];
    const newId = () => {
      const id = `c${randomBytes(6).toString('hex')}`;
      made.push(id);
      return id;
    };
    /** create makes a container running `p` and returns its id. */
    const create = async (p: Program, etc = ETC) => {
      const id = newId();
      await rt.create(u.config(id, p, etc));
      return id;
    };
    const ran = async (p: Program) => {
      const id = await create(p);
      await rt.start(id);
      return { id, code: await rt.wait(id) };
    };

    before(async () => {
      u = await open();
      rt = u.runtime;
    });
    after(async () => {
      for (const id of made) await rt?.remove(id).catch(() => {});
      await close();
    });

    test('create: a prepared container with its metadata; creating it again changes nothing', async () => {
      const id = newId();
      const c = { ...u.config(id, { kind: 'serve' }, ETC), metadata: { who: 'suite', n: 1 } };
      const created = await rt.create(c);
      assert.ok(created.rootfs, 'a rootfs path');
      assert.equal((await rt.status(id)).state, 'prepared');
      assert.ok((await rt.list()).includes(id));
      assert.deepEqual(await rt.metadata(id), { who: 'suite', n: 1 });
      await rt.setMetadata(id, { who: 'worker' });
      await rt.create({ ...c, metadata: { other: true } });
      assert.deepEqual(await rt.metadata(id), { who: 'worker' }, 'the second create kept the container as it was');
      await rt.remove(id);
    });

    test('start runs it: running with a pid and a start time; starting again returns it running', async () => {
      const id = await create({ kind: 'serve' });
      const st = await rt.start(id);
      assert.equal(st.state, 'running');
      assert.ok(st.pid && st.pid > 0);
      assert.ok(st.startedAt > 0);
      assert.deepEqual([(await rt.status(id)).state, (await rt.start(id)).pid], ['running', st.pid]);
      await rt.remove(id);
    });

    test('exit code and output: stdout and stderr, a last line without newline kept exactly', async () => {
      const { id, code } = await ran({ kind: 'print', stdout: 'line1\nabc', stderr: 'oops\n', exit: 3 });
      assert.equal(code, 3);
      const st = await rt.status(id);
      assert.deepEqual([st.state, st.exitCode], ['exited', 3]);
      assert.ok(st.finishedAt >= 0);
      assert.equal(await output(rt, id, 'stdout'), 'line1\nabc');
      assert.equal(await output(rt, id, 'stderr'), 'oops\n');
      assert.equal(await output(rt, id, 'stdout', { follow: true, tail: -1 }), 'line1\nabc', 'follow of an exited container');
      await rt.remove(id);
    });

    test('logs: tail keeps the last lines (an unfinished one counts)', async () => {
      const { id, code } = await ran({ kind: 'print', stdout: 'a\nb\nc\nd', stderr: '', exit: 0 });
      assert.equal(code, 0);
      assert.equal(await output(rt, id, undefined, { follow: false, tail: 2 }), 'c\nd');
      await rt.remove(id);
    });

    test('stop: a process that ends on the stop signal exits with its own code', async () => {
      const id = await create({ kind: 'serve', onStop: 7 });
      await rt.start(id);
      await new Promise((r) => setTimeout(r, 300)); // let the process set up its handler
      await rt.stop(id, 10_000);
      const st = await rt.status(id);
      assert.deepEqual([st.state, st.exitCode], ['exited', 7]);
      assert.ok(st.finishedAt > 0);
      await rt.stop(id, 0);
      await rt.remove(id);
    });

    test('stop: a process that ignores the stop signal is killed after the grace period (137)', async () => {
      const id = await create({ kind: 'serve' });
      await rt.start(id);
      const t0 = Date.now();
      await rt.stop(id, 300);
      assert.ok(Date.now() - t0 >= 250, 'waited for the grace period');
      assert.deepEqual([(await rt.status(id)).state, await rt.wait(id)], ['exited', 137]);
      await rt.remove(id);
    });

    test('beforeRun sees the process created, not run; when it fails the container has not run and starts again', async () => {
      const id = await create({ kind: 'print', stdout: 'ran\n', stderr: '', exit: 0 });
      await assert.rejects(
        rt.start(id, async () => {
          throw new Error('hook failed');
        }),
        /hook failed/,
      );
      const failed = await rt.status(id);
      assert.notEqual(failed.state, 'running');
      assert.equal(failed.startedAt, 0);
      let seen: { pid: number; netns: string; state: string } | undefined;
      await rt.start(id, async (c) => {
        seen = { ...c, state: (await rt.status(id)).state };
      });
      assert.ok(seen && seen.pid > 0 && seen.netns);
      assert.equal(seen.state, 'created');
      assert.equal(await rt.wait(id), 0);
      assert.equal(await output(rt, id), 'ran\n', 'the process ran once');
      await rt.remove(id);
    });

    test('etc files: the container sees what it was given, and what writeEtc wrote before it ran', async () => {
      const { id, code } = await ran({ kind: 'cat', file: 'hostname' });
      assert.equal(code, 0);
      assert.equal(await output(rt, id), ETC.hostname);
      await rt.remove(id);
      const later = await create({ kind: 'cat', file: 'hosts' });
      await rt.writeEtc(later, { hosts: '10.0.0.9\tlater\n' });
      await rt.start(later);
      assert.equal(await rt.wait(later), 0);
      assert.equal(await output(rt, later), '10.0.0.9\tlater\n');
      await rt.remove(later);
    });

    test('a container that has run cannot start again until removed', async () => {
      const { id } = await ran({ kind: 'print', stdout: '', stderr: '', exit: 0 });
      await assert.rejects(rt.start(id));
      await rt.remove(id);
    });

    test('remove: gone from status, list and logs; removing it again, or one never made, is no error', async () => {
      const id = await create({ kind: 'serve' });
      await rt.start(id);
      await rt.remove(id);
      assert.equal((await rt.status(id)).state, 'absent');
      assert.ok(!(await rt.list()).includes(id));
      assert.equal(await rt.metadata(id), undefined);
      await assert.rejects(output(rt, id), ContainerNotFoundError);
      await rt.remove(id);
      await rt.remove(newId());
    });

    test('wait: an abort ends it; an absent container is an error', async () => {
      const id = await create({ kind: 'serve' });
      await rt.start(id);
      const ctl = new AbortController();
      const waiting = rt.wait(id, ctl.signal);
      ctl.abort();
      await assert.rejects(waiting);
      assert.equal((await rt.status(id)).state, 'running', 'aborting a wait does not touch the container');
      await rt.remove(id);
      await assert.rejects(rt.wait(id), ContainerNotFoundError);
      await assert.rejects(rt.start(id), ContainerNotFoundError);
    });

    test('ids that cannot name a container are refused', async () => {
      await assert.rejects(rt.create(u.config('../escape', { kind: 'serve' }, ETC)), InvalidTaskIdError);
      await assert.rejects(rt.status('Upper'), InvalidTaskIdError);
    });
  });
}
