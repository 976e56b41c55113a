/** Unit tests for the mark-down rule: partial disruption and the rate limit. */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { nodesToMarkDown } from './node-health.js';

const silent = (...ids: string[]) => ids.map((id, i) => ({ id, silentMs: 10_000 - i }));

describe('nodesToMarkDown', () => {
  it('marks nothing when every node is heard from', () => {
    assert.deepEqual(nodesToMarkDown({ ready: 3, silent: [] }), { ids: [], held: '' });
  });

  it('marks a single silent host at once, even in a small cluster', () => {
    assert.deepEqual(nodesToMarkDown({ ready: 3, silent: silent('a') }).ids, ['a']);
    assert.deepEqual(nodesToMarkDown({ ready: 1, silent: silent('a') }).ids, ['a']);
    assert.deepEqual(nodesToMarkDown({ ready: 2, silent: silent('a') }).ids, ['a']);
  });

  it('marks none while more than half of the cluster is silent at once', () => {
    const d = nodesToMarkDown({ ready: 3, silent: silent('a', 'b') });
    assert.deepEqual(d.ids, []);
    assert.match(d.held, /2 of 3 ready nodes are silent/);
    assert.deepEqual(nodesToMarkDown({ ready: 3, silent: silent('a', 'b', 'c') }).ids, []);
  });

  it('marks exactly half when half is silent, limited per check', () => {
    const d = nodesToMarkDown({ ready: 10, silent: silent('a', 'b', 'c', 'd', 'e') });
    assert.deepEqual(d.ids, ['a']);
    assert.match(d.held, /4 more silent node\(s\) wait/);
  });

  it('marks the longest silent first, up to a tenth of the cluster per check', () => {
    const s = { ready: 40, silent: [{ id: 'x', silentMs: 6_000 }, { id: 'y', silentMs: 9_000 }, { id: 'z', silentMs: 7_000 }, { id: 'w', silentMs: 8_000 }, { id: 'v', silentMs: 5_500 }] };
    s.silent.sort((a, b) => b.silentMs - a.silentMs);
    assert.deepEqual(nodesToMarkDown(s).ids, ['y', 'w', 'z', 'x']);
  });
});
