// vni specs: VXLAN ids go up from the highest held; freed ids come back only past the top; all held is an error.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ExhaustedError } from './errors.js';
import { FIRST_VNI, LAST_VNI, pickVni } from './vni.js';

test('the first overlay gets FIRST_VNI, the next one the id after the highest held', () => {
  assert.equal(pickVni([]), FIRST_VNI);
  assert.equal(pickVni([0, 0]), FIRST_VNI, 'networks without an id (bridge, macvlan) hold none');
  assert.equal(pickVni([FIRST_VNI, FIRST_VNI + 1]), FIRST_VNI + 2);
  assert.equal(pickVni([FIRST_VNI + 1, FIRST_VNI + 5]), FIRST_VNI + 6, 'a freed id below the highest is not given while higher ones are left');
  assert.equal(pickVni([FIRST_VNI + 5, FIRST_VNI + 1]), pickVni([FIRST_VNI + 1, FIRST_VNI + 5]), 'order of the held ids does not matter');
});

test('past the top of the 24-bit space, freed ids are reused lowest first', () => {
  assert.equal(pickVni([LAST_VNI]), FIRST_VNI);
  assert.equal(pickVni([FIRST_VNI, FIRST_VNI + 2, LAST_VNI]), FIRST_VNI + 1);
});

test('every id held is an ExhaustedError', () => {
  const all = Array.from({ length: LAST_VNI - FIRST_VNI + 1 }, (_, i) => FIRST_VNI + i);
  assert.throws(
    () => pickVni(all),
    (err: unknown) => err instanceof ExhaustedError && /every VXLAN id from 4096 to 16777215/.test(err.message),
  );
});
