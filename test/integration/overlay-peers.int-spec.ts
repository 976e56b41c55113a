// An overlay network's peer table on the real kernel, in a network namespace of the test's
// own: the controller's table becomes FDB entries (MAC → remote host) and permanent
// neighbour entries on the VXLAN device, written in batches; a peer that leaves takes its
// entries along, even when one of them is already gone (the batch then falls back to one
// command per entry), and a table entry that is not an address is left out.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { sh } from '../lab/sh.js';
import { ownNetns, runtimeHost } from '../fixtures/runtime-host.js';
import { macFor } from '#libs/common';
import type { NetworkAttachment, OverlayPeerInput } from '#libs/proto/messages.js';

if (await ownNetns(import.meta.url)) defineSuite();

function defineSuite(): void {
  const h = runtimeHost();
  const needsImage = h.skip ? { skip: h.skip } : {};
  const subnet = (n: number) => `10.233.${h.octet}.${n}`;
  const bridge = `bn-ov${h.id}`;
  const vxlan = `vx-ov${h.id}`;
  const overlay = (ip: string): NetworkAttachment => ({
    name: 'ov',
    aliases: [],
    ip,
    config: { name: 'ov', driver: 'overlay', bridge, subnet: `${subnet(0)}/24`, gateway: subnet(1), ipRange: '', internal: false, options: { vni: '4242' } },
  });
  const peers = (list: Array<[number, string]>) => h.rt.setOverlayPeers([{ network: 'ov', peers: list.map(([n, vtep]): OverlayPeerInput => ({ ip: subnet(n), vtep, names: [] })) as never }]);
  const fdb = async () =>
    (await sh('bridge', ['fdb', 'show', 'dev', vxlan])).stdout
      .split('\n')
      .filter((l) => l.includes(' dst '))
      .map((l) => l.split(' ').slice(0, 3).join(' '))
      .sort();
  const neigh = async () =>
    (await sh('ip', ['neigh', 'show', 'dev', vxlan])).stdout
      .split('\n')
      .filter(Boolean)
      .map((l) => l.split(' ').slice(0, 3).join(' '))
      .sort();

  before(() => h.setup());
  after(() => h.cleanup());

  test('peers on other hosts become FDB and neighbour entries; leaving peers take theirs along', needsImage, async () => {
    const s = { ...h.spec(['sleep', '30']), networks: [overlay(subnet(2))] };
    await h.rt.prepare(s);
    assert.equal((await h.rt.start(s.id)).state, 'running');
    await peers([
      [2, ''],
      [3, '192.0.2.3'],
      [4, '192.0.2.4'],
      [6, '192.0.2.6'],
      [9, '192.0.2.9\nfdb flush'],
    ]);
    assert.deepEqual(await fdb(), [`${macFor(subnet(3))} dst 192.0.2.3`, `${macFor(subnet(4))} dst 192.0.2.4`, `${macFor(subnet(6))} dst 192.0.2.6`]);
    assert.deepEqual(await neigh(), [`${subnet(3)} lladdr ${macFor(subnet(3))}`, `${subnet(4)} lladdr ${macFor(subnet(4))}`, `${subnet(6)} lladdr ${macFor(subnet(6))}`]);

    // One entry already gone: the batch stops at it, and every other line still takes effect.
    await sh('ip', ['neigh', 'del', subnet(3), 'dev', vxlan]);
    await peers([
      [4, '192.0.2.44'],
      [5, '192.0.2.5'],
    ]);
    assert.deepEqual(await fdb(), [`${macFor(subnet(4))} dst 192.0.2.44`, `${macFor(subnet(5))} dst 192.0.2.5`]);
    assert.deepEqual(await neigh(), [`${subnet(4)} lladdr ${macFor(subnet(4))}`, `${subnet(5)} lladdr ${macFor(subnet(5))}`]);

    await peers([]);
    assert.deepEqual(await fdb(), []);
    assert.deepEqual(await neigh(), []);
    await h.rt.remove(s.id);
  });
}
