// Containers on several user-defined bridge networks through the real runtime (runc, CNI,
// iptables, the embedded resolver) in a network namespace of the test's own: eth0 and eth1
// with the default route on the first, names of every network from either resolver, a
// service's virtual IP balanced over its tasks, and connect/disconnect of a running container.
import { readFile } from 'node:fs/promises';
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { sh, waitFor } from '../lab/sh.js';
import { ownNetns, runtimeHost } from '../fixtures/runtime-host.js';
import type { NetworkAttachment, TaskSpec } from '#libs/proto/messages.js';

if (await ownNetns(import.meta.url)) defineSuite();

function defineSuite(): void {
  const h = runtimeHost();
  const needsImage = h.skip ? { skip: h.skip } : {};
  const VIP = '10.212.77.7';
  const net = (name: string, third: number, aliases: string[] = []): NetworkAttachment => ({
    name,
    aliases,
    ip: '',
    config: { name, driver: 'bridge', bridge: `bn-${name}${h.id}`.slice(0, 15), subnet: `10.${third}.${h.octet}.0/24`, gateway: `10.${third}.${h.octet}.1`, ipRange: '', internal: false, options: {} },
  });
  const front = net('front', 231);
  const back = net('back', 232);
  const task = (name: string, networks: NetworkAttachment[], command: string[], service = ''): TaskSpec => ({
    ...h.spec(command),
    name,
    networks,
    ...(service ? { serviceId: `svc-${service}`, serviceName: service, vip: VIP } : {}),
  });
  const start = async (s: TaskSpec) => {
    await h.rt.prepare(s);
    return h.rt.start(s.id);
  };
  /** inNs runs a host command in a running container's network namespace. */
  const inNs = async (taskId: string, cmd: string[]) => {
    const { pid } = await h.rt.status(taskId);
    return (await sh('nsenter', [`--net=/proc/${pid}/ns/net`, ...cmd])).stdout;
  };
  const addrs = async (taskId: string) =>
    (await inNs(taskId, ['ip', '-o', '-4', 'addr', 'show']))
      .split('\n')
      .filter((l) => /eth\d/.test(l))
      .map((l) => l.split(/\s+/).slice(1, 4).join(' ').replace(' inet ', ' '));

  before(() => h.setup());
  after(() => h.cleanup());

  test('eth0 and eth1, names of both networks, a virtual IP balanced over the tasks', needsImage, async () => {
    // Two tasks of service "web" on front; each answers its own name on TCP 8080.
    const serve = ['sh', '-c', 'for i in $(seq 200); do hostname | nc -l -p 8080; done'];
    const webs = [task('web.1', [front], serve, 'web'), task('web.2', [front], serve, 'web')];
    for (const w of webs) await start(w);
    const db = task('db', [back, { ...front, aliases: ['store'] }], ['sleep', '120']);
    const st = await start(db);
    assert.deepEqual(Object.keys(st.addresses ?? {}), ['back', 'front']);
    const seen = await addrs(db.id);
    assert.equal(seen.length, 2);
    assert.match(seen[0], new RegExp(`^eth0 10\\.232\\.${h.octet}\\.\\d+/24$`));
    assert.match(seen[1], new RegExp(`^eth1 10\\.231\\.${h.octet}\\.\\d+/24$`));
    assert.match(await inNs(db.id, ['ip', 'route', 'show', 'default']), new RegExp(`default via 10\\.232\\.${h.octet}\\.1 dev eth0`), 'the first network has the default route');
    const chain = (await inNs(db.id, ['iptables', '-t', 'nat', '-S'])).split('\n').filter((l) => l.includes(VIP));
    assert.equal(chain.length, 2, `one DNAT per task: ${chain.join(' | ')}`);

    // A client on back only asks back's resolver for front's names: it answers for neither...
    const lonely = task('lonely', [back], ['sh', '-c', 'nslookup web; nslookup store; true']);
    await start(lonely);
    await h.rt.wait(lonely.id);
    assert.doesNotMatch(await h.logText(h.rt, lonely.id), new RegExp(VIP.replace(/\./g, '\\.')));
    // ...but a client on both gets every name from either, and its connections to the VIP reach both tasks.
    const probe = ['sh', '-c', `nslookup web; nslookup store; nslookup web.2; for i in $(seq 24); do nc -w 2 ${VIP} 8080; sleep 0.05; done; true`];
    const client = task('client', [back, front], probe);
    await start(client);
    await waitFor('client done', async () => (await h.rt.status(client.id)).state === 'exited', 60_000, 200);
    const out = await h.logText(h.rt, client.id);
    const webAddrs = await Promise.all(webs.map(async (w) => (await h.rt.status(w.id)).address));
    assert.match(out, new RegExp(`Address.*${VIP.replace(/\./g, '\\.')}`), 'the service name gives its virtual IP');
    assert.match(out, new RegExp(`Address.*${(st.addresses!.front ?? '').replace(/\./g, '\\.')}`), "an alias on front answers with db's front address");
    assert.match(out, new RegExp(`Address.*${webAddrs[1].replace(/\./g, '\\.')}`), 'task names resolve');
    const ids = webs.map((w) => w.id.slice(0, 12));
    const answered = new Set(
      out
        .split('\n')
        .map((l) => l.trim())
        .filter((l) => ids.includes(l)),
    );
    assert.deepEqual([...answered].sort(), ids.sort(), `both tasks answered through the VIP:\n${out}`);
    for (const t of [...webs, db, lonely, client]) await h.rt.remove(t.id);
  });

  test('connect and disconnect a running container in place; the default route follows the first network', needsImage, async () => {
    const c = task('mover', [back], ['sleep', '120']);
    await start(c);
    const joined = await h.rt.updateNetworks({ ...c, networks: [back, front] });
    assert.deepEqual([Object.keys(joined.addresses), joined.errors], [['back', 'front'], []]);
    assert.deepEqual(
      (await addrs(c.id)).map((a) => a.split(' ')[0]),
      ['eth0', 'eth1'],
    );
    const hosts = await readFile(`${h.cfg.stateDir}/containers/${c.id}/etc/hosts`, 'utf8');
    assert.ok(hosts.includes(joined.addresses.front) && hosts.includes(joined.addresses.back), '/etc/hosts names the container on both');
    const left = await h.rt.updateNetworks({ ...c, networks: [front] });
    assert.deepEqual(Object.keys(left.addresses), ['front']);
    assert.deepEqual(
      (await addrs(c.id)).map((a) => a.split(' ')[0]),
      ['eth1'],
      'eth0 went with back',
    );
    assert.match(await inNs(c.id, ['ip', 'route', 'show', 'default']), new RegExp(`default via 10\\.231\\.${h.octet}\\.1 dev eth1`), 'front took over the default route');
    const bad = await h.rt.updateNetworks({ ...c, networks: [front, { name: 'nowhere', aliases: [], ip: '', config: null }] });
    assert.equal(bad.errors.length, 1);
    assert.match(bad.errors[0], /connecting to network nowhere failed: network "nowhere" is not known/);
    await h.rt.remove(c.id);
    const leases = (await sh('grep', ['-rl', c.id, `${h.cfg.stateDir}/cni/ipam`], { allowFail: true })).stdout.trim();
    assert.equal(leases, '', 'no lease left on either network');
    assert.equal((await sh('ip', ['-o', 'link', 'show', 'type', 'bridge'])).stdout.includes(`bn-front${h.id}`.slice(0, 15)), false, "front's bridge went with its last container");
  });
}
