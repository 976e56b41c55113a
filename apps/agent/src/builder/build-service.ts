/**
 * BuildService: answers the controller's BuildRequest. Fetches the context
 * tar (a blob in the cluster registry, digest verified by the content
 * store), unpacks it with the layer unpacker's safety checks, runs the
 * Builder and streams its output back in batches; the last message carries
 * the pushed image's digest or the error. Each build works in its own
 * temp dirs, removed afterwards whatever happened.
 */
import { rm } from 'node:fs/promises';
import path from 'node:path';
import { randomBytes } from 'node:crypto';
import type { BuildOutput, BuildRequest } from '#libs/proto/messages.js';
import type { ImageService } from '../images/image-service.js';
import { RegistryClient } from '../images/registry-client.js';
import { unpackLayer } from '../images/unpack.js';
import { parseImageRef, validateDigest } from '../images/oci.js';
import { Builder } from './builder.js';
import { buildNetwork } from './step-network.js';

/** OUTPUT_FLUSH_MS / OUTPUT_BATCH_LINES: how build output is batched into messages. */
const OUTPUT_FLUSH_MS = 50;
const OUTPUT_BATCH_LINES = 64;

export class BuildService {
  private readonly client: RegistryClient;

  constructor(
    private readonly builder: Builder,
    private readonly images: ImageService,
    private readonly stateDir: string,
    insecureRegistries: string[],
    private readonly log: (level: string, m: string) => void,
  ) {
    this.client = new RegistryClient(insecureRegistries);
  }

  async handle(req: BuildRequest, send: (o: BuildOutput) => void, signal: AbortSignal): Promise<void> {
    let lines: string[] = [];
    let timer: NodeJS.Timeout | undefined;
    const flush = () => {
      clearTimeout(timer);
      timer = undefined;
      if (lines.length) send({ requestId: req.requestId, lines, eof: false, error: '', imageDigest: '' });
      lines = [];
    };
    const onOutput = (l: string) => {
      lines.push(l);
      if (lines.length >= OUTPUT_BATCH_LINES) flush();
      else timer ??= setTimeout(flush, OUTPUT_FLUSH_MS);
    };
    const dir = path.join(this.stateDir, 'build-contexts', randomBytes(6).toString('hex'));
    try {
      const ctx = await this.fetchContext(req, dir);
      const result = await this.builder.build(
        {
          contextDir: ctx,
          dockerfile: req.dockerfile || 'Dockerfile',
          buildArgs: req.buildArgs ?? {},
          target: req.target || undefined,
          noCache: req.noCache,
          network: buildNetwork(req.network),
          tag: req.tag,
          auth: { username: '', password: '', bearerToken: req.registryToken },
        },
        onOutput,
        signal,
      );
      flush();
      send({ requestId: req.requestId, lines: [], eof: true, error: '', imageDigest: result.manifestDigest });
      this.log('info', `built ${result.tag} (${result.manifestDigest})`);
    } catch (err) {
      flush();
      send({ requestId: req.requestId, lines: [], eof: true, error: (err as Error).message, imageDigest: '' });
    } finally {
      await rm(dir, { recursive: true, force: true }).catch(() => {});
    }
  }

  private async fetchContext(req: BuildRequest, dir: string): Promise<string> {
    const at = req.contextBlob.lastIndexOf('@');
    if (at < 0) throw new Error(`bad build context reference ${JSON.stringify(req.contextBlob)}: no @digest`);
    const digest = validateDigest(req.contextBlob.slice(at + 1), 'build context digest');
    const ref = parseImageRef(`${req.contextBlob.slice(0, at)}:context`, '');
    const creds = { username: '', password: '', bearerToken: req.registryToken };
    if (!(await this.images.content.has(digest))) await this.images.content.ingest(digest, -1, await this.client.blob(ref, digest, creds));
    const ctx = path.join(dir, 'context');
    try {
      await unpackLayer(this.images.content.read(digest), ctx, { layerRoot: true });
    } finally {
      await rm(this.images.content.path(digest), { force: true });
    }
    return ctx;
  }
}
