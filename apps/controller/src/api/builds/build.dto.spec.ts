// Build request validation specs: network is bridge, host or none; anything else is a 400 naming it.
import 'reflect-metadata';
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { HttpStatus } from '@nestjs/common';
import { FieldValidationError, validationPipe } from '../common/validation.js';
import { BuildDto } from './build.dto.js';

const pipe = validationPipe();
const body = { context: `sha256:${'a'.repeat(64)}`, tag: 'app:1' };
const validate = (b: unknown) => pipe.transform(b, { type: 'body', metatype: BuildDto });

test('a build may leave network out or give bridge, host or none', async () => {
  assert.equal(((await validate(body)) as BuildDto).network, undefined);
  for (const network of ['bridge', 'host', 'none']) assert.equal(((await validate({ ...body, network })) as BuildDto).network, network);
});

test('any other network is a 400 naming network', async () => {
  for (const network of ['default', 'mynet', '', 7, null]) {
    await assert.rejects(validate({ ...body, network }), (err: unknown) => {
      assert.ok(err instanceof FieldValidationError);
      assert.equal(err.getStatus(), HttpStatus.BAD_REQUEST);
      assert.deepEqual(
        err.details.map((d) => d.field),
        ['network'],
      );
      assert.match(err.message, /network must be bridge, host or none/);
      return true;
    });
  }
});
