// ContentStore specs (issue 13): a registry that sends more than a blob's descriptor declares is
// cut off at the first chunk past the size, with the connection closed and nothing stored;
// a declared size that is not a byte count is refused before anything is read.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { createServer, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { mkdtemp, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Readable } from 'node:stream';
import { ContentStore, DigestMismatchError } from './content-store.js';
import { RegistryClient } from './registry-client.js';
import { parseImageRef } from './oci.js';

const DECLARED = 1024 * 1024;
const SERVED = 64 * 1024 * 1024;
const CHUNK = 16 * 1024;
const DIGEST = `sha256:${'b'.repeat(64)}`;

let dir: string;
let host: string;
let server: ReturnType<typeof createServer>;
/** responses: every blob answer the server started, resolved with whether it got to its end. */
const responses: Array<Promise<boolean>> = [];

/** overflow serves SERVED bytes (far more than DECLARED), as fast as the client takes them. */
function overflow(res: ServerResponse): void {
  res.writeHead(200, { 'content-type': 'application/octet-stream' });
  const chunk = Buffer.alloc(CHUNK, 0x61);
  Readable.from(
    (function* () {
      for (let sent = 0; sent < SERVED; sent += CHUNK) yield chunk;
    })(),
  ).pipe(res);
}

before(async () => {
  dir = await mkdtemp(path.join(tmpdir(), 'content-store-'));
  server = createServer((_req, res) => {
    responses.push(new Promise((resolve) => res.on('close', () => resolve(res.writableFinished))));
    overflow(res);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  host = `127.0.0.1:${(server.address() as AddressInfo).port}`;
});

after(async () => {
  server.closeAllConnections();
  await new Promise((r) => server.close(r));
  await rm(dir, { recursive: true, force: true });
});

test('a blob server sending more than the descriptor declares is cut off at the limit; nothing is stored', async () => {
  const store = new ContentStore(dir);
  const body = await new RegistryClient([host]).blob(parseImageRef(`${host}/evil/big:v1`, ''), DIGEST);
  let read = 0;
  let largest = 0;
  // Counts what the store pulls from the download: no buffer of its own (highWaterMark 0) to read ahead.
  const counted = Readable.from(
    (async function* () {
      for await (const chunk of body as AsyncIterable<Buffer>) {
        read += chunk.length;
        largest = Math.max(largest, chunk.length);
        yield chunk;
      }
    })(),
    { objectMode: false, highWaterMark: 0 },
  );
  let stored = 0;
  await assert.rejects(
    store.ingest(DIGEST, DECLARED, counted, (n) => (stored = n)),
    (e: Error) => {
      assert.ok(e instanceof DigestMismatchError, `${e.constructor.name}: ${e.message}`);
      assert.ok(e.message.includes(DIGEST), `names the blob: ${e.message}`);
      assert.match(e.message, new RegExp(`stopped at \\d+ bytes, more than the ${DECLARED} its descriptor declares`));
      return true;
    },
  );
  assert.ok(stored <= DECLARED, `nothing past the declared size was stored (${stored})`);
  assert.ok(read <= DECLARED + largest, `read ${read} bytes: stopped at the first chunk past ${DECLARED} (chunks up to ${largest})`);
  assert.equal(await responses[0], false, 'the connection was closed before the server got to the end');
  assert.deepEqual(await readdir(path.join(dir, 'content', 'blobs', 'sha256')), [], 'no partial blob');
});

test('a declared size that is not a byte count is refused before anything is read', async () => {
  const store = new ContentStore(dir);
  for (const size of [-2, 1.5, Number.NaN, Number.MAX_SAFE_INTEGER + 2]) {
    const data = Readable.from([Buffer.from('x')]);
    await assert.rejects(store.ingest(DIGEST, size, data), (e: Error) => e instanceof DigestMismatchError && e.message.includes(`declared size ${size} is not a byte count`), String(size));
    assert.ok(data.destroyed, `${size}: the source was closed`);
  }
});
