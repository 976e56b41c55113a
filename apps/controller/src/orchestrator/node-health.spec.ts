/** Unit tests for the mark-down rule: partial disruption and the rate limit. */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { nodesToMarkDown } from './node-health.js';

const silent = (...ids: string[]) => ids.map((id, i) => ({ id, silentMs: 10_000 - i }));

describe('nodesToMarkDown', () => {
  it('marks nothing when every node is heard from', () => {
    assert.deepEqual(nodesToMarkDown({ total: 3, down: 0, silent: [] }), { ids: [], held: '' });
  });

  it('marks a single silent host at once, even in a small cluster or with others down', () => {
    assert.deepEqual(nodesToMarkDown({ total: 3, down: 0, silent: silent('a') }).ids, ['a']);
    assert.deepEqual(nodesToMarkDown({ total: 1, down: 0, silent: silent('a') }).ids, ['a']);
    assert.deepEqual(nodesToMarkDown({ total: 3, down: 1, silent: silent('a') }).ids, ['a']);
  });

  it('marks none while several are silent at once and more than half of the cluster looks down', () => {
    const d = nodesToMarkDown({ total: 3, down: 0, silent: silent('a', 'b') });
    assert.deepEqual(d.ids, []);
    assert.match(d.held, /2 nodes silent at once and 0 down, of 3/);
    assert.deepEqual(nodesToMarkDown({ total: 3, down: 0, silent: silent('a', 'b', 'c') }).ids, []);
    assert.deepEqual(nodesToMarkDown({ total: 10, down: 4, silent: silent('a', 'b') }).ids, [], 'those already down count');
  });

  it('marks when half is silent, limited per check', () => {
    const d = nodesToMarkDown({ total: 10, down: 0, silent: silent('a', 'b', 'c', 'd', 'e') });
    assert.deepEqual(d.ids, ['a']);
    assert.match(d.held, /4 more silent node\(s\) wait/);
  });

  it('marks the longest silent first, up to a tenth of the cluster per check', () => {
    const s = {
      total: 40,
      down: 0,
      silent: [
        { id: 'y', silentMs: 9_000 },
        { id: 'w', silentMs: 8_000 },
        { id: 'z', silentMs: 7_000 },
        { id: 'x', silentMs: 6_000 },
        { id: 'v', silentMs: 5_500 },
      ],
    };
    assert.deepEqual(nodesToMarkDown(s).ids, ['y', 'w', 'z', 'x']);
  });
});
