// DTO validation specs: the global pipe rejects bad bodies with one entry per field and reason.
import 'reflect-metadata';
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { validationPipe, FieldValidationError, MAX_DETAILS } from './validation.js';
import { CreateServiceDto, ScaleServiceDto } from '../services/service.dto.js';
import { CreateContainerDto } from '../containers/container.dto.js';

const pipe = validationPipe();
const meta = (metatype: unknown) => ({ type: 'body' as const, metatype: metatype as never });

async function fields(body: unknown, metatype: unknown): Promise<string[]> {
  try {
    await pipe.transform(body, meta(metatype));
    return [];
  } catch (err) {
    assert.ok(err instanceof FieldValidationError, String(err));
    return err.details.map((d) => d.field).sort();
  }
}

test('a valid service passes and keeps its fields', async () => {
  const dto = await pipe.transform({ name: 'web', image: 'busybox', replicas: 3, env: ['A=1'], network: 'host' }, meta(CreateServiceDto));
  assert.ok(dto instanceof CreateServiceDto);
  assert.equal(dto.replicas, 3);
});

test('each bad field is named once', async () => {
  assert.deepEqual(await fields({ name: '-x', image: 'a b', replicas: -1, env: ['novalue'], network: 'bad net!', extra: true }, CreateServiceDto), [
    'env',
    'extra',
    'image',
    'name',
    'network',
    'replicas',
  ]);
  assert.deepEqual(await fields({ replicas: 'many' }, ScaleServiceDto), ['replicas']);
  assert.deepEqual(await fields({ replicas: 10001 }, ScaleServiceDto), ['replicas']);
  assert.deepEqual(await fields({ image: 'busybox', name: 'bad name', autoRemove: 'yes' }, CreateContainerDto), ['autoRemove', 'name']);
  assert.deepEqual(await fields({}, CreateContainerDto), ['image']);
});

test('null is not an absent optional field', async () => {
  assert.deepEqual(await fields({ image: 'busybox', command: null, env: null, mounts: null, name: null }, CreateContainerDto), ['command', 'env', 'mounts', 'name']);
});

test('thousands of bad fields are answered with the first few and a count', async () => {
  const body = Object.fromEntries(Array.from({ length: 500 }, (_, i) => [`k${i}`, i]));
  const got = await fields({ ...body, replicas: 1 }, ScaleServiceDto);
  assert.equal(got.length, MAX_DETAILS + 1);
  assert.ok(got.includes('body'), 'the last entry counts the rest');
});
