import { test } from 'node:test';
import assert from 'node:assert/strict';
import { CidrError, contains, formatCidr, ipToInt, nextFree, overlaps, parseCidr, within } from './cidr.js';

test('CIDRs parse with clear errors', () => {
  assert.deepEqual(parseCidr('10.1.2.0/24'), { base: ipToInt('10.1.2.0'), prefix: 24, size: 256 });
  assert.throws(() => parseCidr('10.1.2.3/24'), /host bits set \(the network is 10.1.2.0\/24\)/);
  assert.throws(() => parseCidr('10.1.2.0'), CidrError);
  assert.throws(() => parseCidr('10.1.2.0/33'), CidrError);
  assert.throws(() => parseCidr('300.1.2.0/24'), /not an IPv4 address/);
});

test('containment, overlap and allocation from a pool', () => {
  const a = parseCidr('10.1.0.0/16');
  assert.ok(contains(a, ipToInt('10.1.255.1')));
  assert.ok(!contains(a, ipToInt('10.2.0.1')));
  assert.ok(within(parseCidr('10.1.4.0/24'), a));
  assert.ok(overlaps(a, parseCidr('10.1.200.0/24')));
  assert.ok(!overlaps(a, parseCidr('10.2.0.0/24')));
  const pool = parseCidr('10.9.0.0/22');
  assert.equal(formatCidr(nextFree(pool, 24, [parseCidr('10.9.0.0/24'), parseCidr('10.9.1.128/25')])!), '10.9.2.0/24');
  assert.equal(nextFree(pool, 24, [parseCidr('10.9.0.0/22')]), undefined, 'exhausted');
});
