// Volume plugins through the real runtime: the loopfs plugin (apps/volume-loopfs) as a process
// speaking Docker's protocol on a unix socket; a container writes to a loop-mounted ext4 volume
// of the size asked for, the next one reads it, the plugin unmounts when no container uses it,
// and removal deletes it. A plugin that never answers fails within the bound, with the reason.
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdir } from 'node:fs/promises';
import net from 'node:net';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { sh, waitFor } from '../lab/sh.js';
import { ownNetns, runtimeHost, toMount } from '../fixtures/runtime-host.js';
import { pluginCall, VolumePlugins } from '../../apps/agent/src/volumes/plugins.js';
import type { TaskSpec } from '#libs/proto/messages.js';

const PLUGIN = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../apps/volume-loopfs/src/main.js');

if (await ownNetns(import.meta.url)) defineSuite();

function defineSuite(): void {
  const h = runtimeHost();
  const needsImage = h.skip ? { skip: h.skip } : {};
  let plugin: ChildProcess | undefined;
  let silent: net.Server | undefined;
  const pluginDir = () => h.cfg.volumePluginDir!;
  const mount = toMount({ type: 'volume', source: 'lv', target: '/data', driver: 'loopfs', volumeOptions: { size: '16m' } });
  const task = (command: string[]): TaskSpec => ({ ...h.spec(command, 'none'), mounts: [mount] });
  const { runToEnd } = h;
  const mounted = async () => (await sh('findmnt', ['-rn', '-o', 'TARGET'], { allowFail: true })).stdout.split('\n').filter((l) => l.startsWith(path.join(h.dir, 'loopfs')));

  before(async () => {
    await h.setup();
    await mkdir(pluginDir(), { recursive: true });
    plugin = spawn(process.execPath, [PLUGIN, '--socket', path.join(pluginDir(), 'loopfs.sock'), '--root', path.join(h.dir, 'loopfs')], { stdio: ['ignore', 'ignore', 'inherit'] });
    await waitFor('the plugin socket', async () => existsSync(path.join(pluginDir(), 'loopfs.sock')), 10_000, 50);
  });

  after(async () => {
    for (const m of (await mounted()).reverse()) await sh('umount', ['-l', m], { allowFail: true });
    plugin?.kill('SIGTERM');
    silent?.close();
    await h.cleanup();
  });

  test('the loopfs plugin: found with its scope, a sized volume written and read across containers, unmounted when unused, removed', needsImage, async () => {
    assert.deepEqual(await new VolumePlugins(pluginDir()).scan(), [{ name: 'loopfs', scope: 'local' }]);
    const w = await runToEnd(task(['sh', '-c', "df -k /data | tail -1 | awk '{print $2}'; echo persisted > /data/f"]));
    assert.equal(w.code, 0, w.out);
    const kb = Number(w.out.trim().split('\n')[0]);
    assert.ok(kb > 10_000 && kb < 16_384, `a 16m filesystem (${kb} KB usable)`);
    assert.deepEqual(await mounted(), [], 'unmounted once no container uses it');
    const r = await runToEnd(task(['cat', '/data/f']));
    assert.deepEqual([r.code, r.out.trim()], [0, 'persisted']);
    const s = task(['sleep', '30']);
    await h.rt.prepare(s);
    await assert.rejects(h.rt.removeVolumes(['lv'], { lv: 'loopfs' }), /used by container/);
    await h.rt.remove(s.id);
    assert.deepEqual(await h.rt.removeVolumes(['lv'], { lv: 'loopfs' }), ['lv']);
    assert.equal(existsSync(path.join(h.dir, 'loopfs', 'lv.img')), false, 'the image file is gone');
    const bad = { ...task(['true']), mounts: [{ ...mount, source: 'tiny', volumeOptions: { size: '1m' } }] };
    await assert.rejects(h.rt.prepare(bad), /volume plugin loopfs: VolumeDriver.Create: size 1m is below/);
    const none = { ...task(['true']), mounts: [{ ...mount, driver: 'nosuch' }] };
    await assert.rejects(h.rt.prepare(none), /volume plugin "nosuch" is not on this host/);
  });

  test('a plugin that does not answer fails the call within its bound', async () => {
    const sock = path.join(pluginDir(), 'mute.sock');
    silent = net.createServer(() => {
      /* accepts, never answers */
    });
    await new Promise<void>((r) => silent!.listen(sock, r));
    const plugins = new VolumePlugins(pluginDir(), 300);
    const t0 = Date.now();
    assert.deepEqual(
      (await plugins.scan()).map((p) => p.name),
      ['loopfs'],
      'a mute socket is not listed',
    );
    assert.ok(Date.now() - t0 < 3_000);
    await assert.rejects(pluginCall(sock, 'VolumeDriver.Get', { Name: 'x' }, 300), /volume plugin mute did not answer VolumeDriver.Get within 0.3 s/);
  });
}
