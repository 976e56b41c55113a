// ipam specs: lowest free host address first; network, broadcast and gateway never given; ranges; exhaustion.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ExhaustedError } from './errors.js';
import { addressPool, pickAddress } from './ipam.js';
import { intToIp, ipToInt } from '#libs/common';

const taken = (...ips: string[]) => new Set(ips.map(ipToInt));
const pick = (pool: ReturnType<typeof addressPool>, held: Set<number>) => intToIp(pickAddress(pool, held));

test('the lowest free host address, never the network address or the gateway', () => {
  const pool = addressPool('10.5.0.0/29', '10.5.0.1');
  assert.equal(pick(pool, taken()), '10.5.0.2');
  assert.equal(pick(pool, taken('10.5.0.2')), '10.5.0.3');
  assert.equal(pick(addressPool('10.5.0.0/29', '10.5.0.6'), taken()), '10.5.0.1', 'a gateway elsewhere leaves .1 free');
  assert.equal(pick(addressPool('10.5.0.0/29'), taken()), '10.5.0.1', 'no gateway: the first host address');
});

test('a full subnet is an ExhaustedError naming it; the broadcast address is never given', () => {
  const pool = addressPool('10.5.0.0/29', '10.5.0.1');
  const all = taken('10.5.0.2', '10.5.0.3', '10.5.0.4', '10.5.0.5', '10.5.0.6');
  assert.throws(
    () => pickAddress(pool, all),
    (err: unknown) => err instanceof ExhaustedError && /no free address in 10\.5\.0\.0\/29/.test(err.message),
  );
  const small = addressPool('10.6.0.0/30', '10.6.0.1');
  assert.equal(pick(small, taken()), '10.6.0.2');
  assert.throws(() => pickAddress(small, taken('10.6.0.2')), ExhaustedError, '10.6.0.3 is the broadcast');
});

test('an ip range: addresses from it only, its own edges included, the subnet broadcast excluded', () => {
  const pool = addressPool('10.5.0.0/24', '10.5.0.1', '10.5.0.4/30');
  assert.equal(pick(pool, taken()), '10.5.0.4');
  assert.equal(pick(pool, taken('10.5.0.4', '10.5.0.5', '10.5.0.6')), '10.5.0.7');
  assert.throws(() => pickAddress(pool, taken('10.5.0.4', '10.5.0.5', '10.5.0.6', '10.5.0.7')), /no free address in 10\.5\.0\.0\/24 \(range 10\.5\.0\.4\/30\)/);
  const top = addressPool('10.5.0.0/24', '10.5.0.1', '10.5.0.252/30');
  assert.throws(() => pickAddress(top, taken('10.5.0.252', '10.5.0.253', '10.5.0.254')), ExhaustedError, '10.5.0.255 is the broadcast, even inside the range');
  const atBase = addressPool('10.5.0.0/24', '10.5.0.1', '10.5.0.0/30');
  assert.equal(pick(atBase, taken()), '10.5.0.2', 'a range at the subnet start skips the network address and the gateway');
});

test('a freed address is given again before any higher one; equal inputs give equal picks', () => {
  const pool = addressPool('10.7.0.0/24', '10.7.0.1');
  assert.equal(pick(pool, taken('10.7.0.3', '10.7.0.4')), '10.7.0.2', '.2 was freed');
  const held = taken('10.7.0.2', '10.7.0.4');
  assert.equal(pick(pool, held), pick(pool, held));
  assert.equal(pick(pool, held), '10.7.0.3');
  assert.deepEqual([...held].map(intToIp), ['10.7.0.2', '10.7.0.4'], 'the taken set is not changed');
});
