// Step network specs: the network of a build request, and the /etc files a step gets on it.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { buildNetwork, stepEtcFiles } from './step-network.js';

test("a request's network: empty is the default bridge; only bridge, host and none are taken", () => {
  assert.equal(buildNetwork(''), 'bridge');
  for (const n of ['bridge', 'host', 'none']) assert.equal(buildNetwork(n), n);
  assert.throws(() => buildNetwork('overlay'), /network "overlay" must be bridge, host or none/);
});

test("a step's /etc files: its address under its hostname; no resolver on none", async () => {
  const bridge = await stepEtcFiles('bridge', 'berth-build', '10.0.0.2');
  assert.match(bridge.hosts, /^127\.0\.0\.1\tlocalhost$/m);
  assert.match(bridge.hosts, /^10\.0\.0\.2\tberth-build$/m);
  assert.equal(bridge.hostname, 'berth-build\n');
  assert.equal((await stepEtcFiles('none', 'berth-build', '')).resolvConf, '');
});
