// Query helpers: docker's --since spellings, and a log request's whole query.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { logView, sinceQuery } from './query.js';
import { FieldValidationError } from './validation.js';

test('since: an RFC 3339 time, Unix seconds or a duration before now; nothing is every line', () => {
  const now = Date.UTC(2026, 11, 2, 12, 0, 0);
  assert.equal(sinceQuery(undefined, now), 0);
  assert.equal(sinceQuery('2026-12-02T10:00:00Z', now), Date.UTC(2026, 11, 2, 10, 0, 0));
  assert.equal(sinceQuery('2026-12-02T10:00:00+01:00', now), Date.UTC(2026, 11, 2, 9, 0, 0));
  assert.equal(sinceQuery('1764669600', now), 1764669600_000);
  assert.equal(sinceQuery('1764669600.5', now), 1764669600_500);
  assert.equal(sinceQuery('10m', now), now - 600_000);
  assert.equal(sinceQuery('1h30m', now), now - 5_400_000);
  assert.equal(sinceQuery('1.5s', now), now - 1_500);
  for (const bad of ['yesterday', '10x', 'h', '2026-13-45T99:00:00Z', '-5'])
    assert.throws(
      () => sinceQuery(bad, now),
      (e: Error) => e instanceof FieldValidationError && /^since must be a time/.test(e.message),
      bad,
    );
});

test('a log request reads follow, tail, since and timestamps', () => {
  assert.deepEqual(logView({}), { follow: false, tail: -1, sinceMs: 0, timestamps: false });
  assert.deepEqual(logView({ follow: 'true', tail: '5', since: '1764669600', timestamps: '1' }), { follow: true, tail: 5, sinceMs: 1764669600_000, timestamps: true });
  assert.throws(() => logView({ timestamps: 'maybe' }), /timestamps must be true or false/);
});
