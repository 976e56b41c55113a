// TaskManager specs: a network change that arrives while the container is being prepared
// reaches it once prepared; one for a running container is applied in place and reported.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { TaskState } from '#libs/common';
import type { TaskSpec, TaskStatus } from '#libs/proto/messages.js';
import type { TaskContainerStatus, TaskRunner } from './task-runner.js';
import { TaskManager, statusOf } from './task-manager.js';

/** A runtime double that records calls; prepare waits until released. */
function runtimeDouble() {
  const calls: string[] = [];
  let release!: () => void;
  const prepared = new Promise<void>((r) => (release = r));
  let exit!: (code: number) => void;
  const exited = new Promise<number>((r) => (exit = r));
  const running: TaskContainerStatus = { state: 'running', address: '10.0.0.2', addresses: { a: '10.0.0.2' }, startedAt: 1, finishedAt: 0 };
  const rt: TaskRunner = {
    prepare: async (s) => {
      calls.push(`prepare ${s.networks.map((n) => n.name).join(',')}`);
      await prepared;
    },
    start: async () => {
      calls.push('start');
      return running;
    },
    status: async () => running,
    wait: (_id, signal) =>
      new Promise((resolve, reject) => {
        void exited.then(resolve);
        signal?.addEventListener('abort', () => reject(new Error('aborted')));
      }),
    stop: async () => {},
    remove: async () => {},
    list: async () => [],
    logs: () => (async function* () {})(),
    updateNetworks: async (s) => {
      calls.push(`update ${s.networks.map((n) => n.name).join(',')}`);
      return { addresses: Object.fromEntries(s.networks.map((n, i) => [n.name, `10.0.${i}.2`])), errors: [] };
    },
  };
  return { rt, calls, release, exit };
}

const spec = (networks: string[]): TaskSpec => ({
  id: 't1',
  name: 'c',
  serviceId: '',
  slot: 0,
  image: 'x',
  command: [],
  env: [],
  networks: networks.map((name) => ({ name, aliases: [], ip: '', config: null })),
  desiredState: TaskState.RUNNING,
  stopGraceMs: 0,
  pullAuth: null,
  ports: [],
  serviceName: '',
  vip: '',
  mounts: [],
  options: null,
});

test('networks changed during prepare reach the container before it starts; a running one is changed in place', async () => {
  const { rt, calls, release, exit } = runtimeDouble();
  const reports: TaskStatus[] = [];
  const m = new TaskManager(spec(['a']), statusOf('t1', TaskState.ASSIGNED), rt, async (s) => void reports.push(s));
  m.kick();
  await new Promise((r) => setTimeout(r, 20));
  m.update(spec(['a', 'b']));
  release();
  await new Promise((r) => setTimeout(r, 20));
  assert.deepEqual(calls, ['prepare a', 'update a,b', 'start'], 'the prepared record takes the new list before start');
  m.update(spec(['b']));
  await new Promise((r) => setTimeout(r, 20));
  assert.deepEqual(calls.slice(3), ['update b']);
  const last = reports.at(-1)!;
  assert.deepEqual([last.state, last.addresses, last.message], [TaskState.RUNNING, { b: '10.0.0.2' }, 'networks updated']);
  exit(0);
  await m.close();
});
