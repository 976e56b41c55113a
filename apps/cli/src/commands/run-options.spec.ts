// berth run's docker-run flags: what the request carries, errors naming the flag, --env-file.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Command } from 'commander';
import { envFiles, runOptionsBody, withRunOptionFlags, type RunOptionFlags } from './run-options.js';
import { CliError } from '../client/api-client.js';

const parse = (args: string[]): RunOptionFlags =>
  withRunOptionFlags(
    new Command().exitOverride().configureOutput({
      writeErr: () => {},
    }),
  )
    .parse(args, { from: 'user' })
    .opts<RunOptionFlags>();

test('flags become the request options, in the API spelling', () => {
  assert.deepEqual(runOptionsBody(parse([])), {});
  assert.deepEqual(
    runOptionsBody(
      parse([
        '-u',
        '1000:1000',
        '-w',
        '/srv',
        '--entrypoint',
        '',
        '--hostname',
        'box',
        '-l',
        'a=1',
        '-l',
        'b',
        '--read-only',
        '--cap-add',
        'net_admin',
        '--cap-drop',
        'ALL',
        '--security-opt',
        'no-new-privileges',
        '--security-opt',
        'seccomp=unconfined',
        '--stop-signal',
        'quit',
        '--stop-timeout',
        '3',
        '-m',
        '64m',
        '--cpus',
        '1.5',
        '--pids-limit',
        '-1',
        '--shm-size',
        '1g',
        '--init',
        '--add-host',
        'db:10.0.0.5',
        '--dns',
        '10.0.0.53',
        '--ulimit',
        'nofile=100:200',
      ]),
    ),
    {
      user: '1000:1000',
      workdir: '/srv',
      entrypoint: [],
      hostname: 'box',
      labels: { a: '1', b: '' },
      readOnly: true,
      capAdd: ['CAP_NET_ADMIN'],
      capDrop: ['ALL'],
      noNewPrivileges: true,
      seccompUnconfined: true,
      stopSignal: 'SIGQUIT',
      stopTimeout: 3,
      memory: 64 << 20,
      cpus: 1.5,
      pidsLimit: -1,
      shmSize: 1 << 30,
      init: true,
      extraHosts: ['db:10.0.0.5'],
      dns: ['10.0.0.53'],
      ulimits: [{ name: 'nofile', soft: 100, hard: 200 }],
    },
  );
});

test('a bad flag fails naming it, before any request', () => {
  assert.throws(() => parse(['--cap-add', 'nope']), /--cap-add: "nope" is not a capability/);
  assert.throws(() => parse(['-m', 'lots']), /--memory: "lots" is not a size/);
  assert.throws(() => parse(['--ulimit', 'nofile=2:1']), /--ulimit: nofile's soft limit 2 is above its hard limit 1/);
  for (const [args, message] of [
    [['-m', '1k'], /^--memory must be at least 6m/],
    [['--cpus', 'two'], /^--cpus: "two" is not a number/],
    [['--pids-limit', '0'], /^--pids-limit must be -1/],
    [['-w', 'rel'], /^--workdir: "rel" must be an absolute path/],
    [['--security-opt', 'seccomp=/p.json'], /only seccomp=unconfined is supported/],
    [['--security-opt', 'apparmor=x'], /not an option/],
    [['--add-host', 'db'], /^--add-host: "db" must be HOST:IPv4/],
    [['--dns', 'x'], /^--dns: "x" is not an IPv4 address/],
  ] as const)
    assert.throws(
      () => runOptionsBody(parse([...args])),
      (e: Error) => e instanceof CliError && message.test(e.message),
      args.join(' '),
    );
});

test('--env-file: KEY=VALUE lines, comments and blanks skipped, a bare KEY from the environment', () => {
  const dir = mkdtempSync(path.join(tmpdir(), 'berth-envfile-'));
  try {
    const file = path.join(dir, 'env');
    writeFileSync(file, '# settings\nA=1\n\n  B=two words\nFROM_HOST\nMISSING\n');
    assert.deepEqual(envFiles([file], { FROM_HOST: 'h' }), ['A=1', 'B=two words', 'FROM_HOST=h']);
    writeFileSync(file, 'BAD KEY=1\n');
    assert.throws(() => envFiles([file], {}), /--env-file .*, line 1: "BAD KEY=1" is not KEY=VALUE/);
    assert.throws(() => envFiles([path.join(dir, 'absent')], {}), /no such file/);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
