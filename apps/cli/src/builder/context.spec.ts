import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createReadStream } from 'node:fs';
import { mkdir, mkdtemp, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import tar from 'tar-stream';
import { ContextError, contextEntries, packContext } from './context.js';

async function fixture(): Promise<string> {
  const dir = await mkdtemp(path.join(tmpdir(), 'berth-ctx-'));
  await mkdir(path.join(dir, 'src/gen'), { recursive: true });
  await mkdir(path.join(dir, 'node_modules/x'), { recursive: true });
  await writeFile(path.join(dir, 'Dockerfile'), 'FROM scratch\n');
  await writeFile(path.join(dir, 'src/a.ts'), 'a');
  await writeFile(path.join(dir, 'src/gen/b.js'), 'b');
  await writeFile(path.join(dir, 'src/gen/keep.js'), 'k');
  await writeFile(path.join(dir, 'node_modules/x/i.js'), 'i');
  await writeFile(path.join(dir, 'secret.env'), 's');
  await symlink('src/a.ts', path.join(dir, 'link'));
  await writeFile(path.join(dir, '.dockerignore'), 'node_modules\n*.env\nsrc/gen\n!src/gen/keep.js\nDockerfile\n');
  return dir;
}

test('the context honours .dockerignore with exceptions, and always keeps the Dockerfile', async () => {
  const dir = await fixture();
  try {
    assert.deepEqual(await contextEntries(dir, 'Dockerfile'), ['.dockerignore', 'Dockerfile', 'link', 'src', 'src/a.ts', 'src/gen/keep.js']);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});

test('packContext writes a tar with those entries, its digest and size', async () => {
  const dir = await fixture();
  const packed = await packContext(dir, 'Dockerfile');
  try {
    const names: string[] = [];
    const ex = tar.extract();
    ex.on('entry', (h, s, next) => {
      names.push(`${h.type}:${h.name}${h.linkname ? `->${h.linkname}` : ''}`);
      s.resume();
      s.on('end', next);
    });
    await new Promise<void>((resolve, reject) =>
      createReadStream(packed.file)
        .pipe(ex)
        .on('finish', () => resolve())
        .on('error', reject),
    );
    assert.deepEqual(names, ['file:.dockerignore', 'file:Dockerfile', 'symlink:link->src/a.ts', 'directory:src', 'file:src/a.ts', 'file:src/gen/keep.js']);
    assert.match(packed.digest, /^sha256:[0-9a-f]{64}$/);
    assert.equal(packed.files, 6);
    await assert.rejects(packContext(dir, 'Nope.Dockerfile'), ContextError);
    await assert.rejects(packContext(dir, '../Dockerfile'), /inside the build context/);
    await assert.rejects(packContext(path.join(dir, 'missing'), 'Dockerfile'), /not a directory/);
  } finally {
    await rm(path.dirname(packed.file), { recursive: true, force: true });
    await rm(dir, { recursive: true, force: true });
  }
});
