/**
 * parseImageConfig validates an image config blob before anything uses it:
 * a JSON object whose rootfs is `{ type: "layers", diff_ids: [digest…] }`,
 * every diff_id checked by the one digest validator (diff_ids name layer
 * directories on the agent). Other fields are kept as they are.
 */
import { InvalidDigestError, validateDigest } from './digest.js';
import type { ImageConfig } from './manifest.js';

export class ConfigInvalidError extends Error {}

export function parseImageConfig(bytes: Buffer | string, where = 'image config'): ImageConfig {
  let doc: unknown;
  try {
    doc = JSON.parse(bytes.toString());
  } catch {
    throw new ConfigInvalidError(`${where} is not valid JSON`);
  }
  if (!doc || typeof doc !== 'object' || Array.isArray(doc)) throw new ConfigInvalidError(`${where} must be a JSON object`);
  const rootfs = (doc as { rootfs?: unknown }).rootfs as { type?: unknown; diff_ids?: unknown } | undefined;
  if (!rootfs || typeof rootfs !== 'object' || Array.isArray(rootfs)) throw new ConfigInvalidError(`${where}: rootfs must be an object`);
  if (rootfs.type !== 'layers') throw new ConfigInvalidError(`${where}: rootfs.type must be "layers", got ${JSON.stringify(rootfs.type) ?? 'nothing'}`);
  if (!Array.isArray(rootfs.diff_ids)) throw new ConfigInvalidError(`${where}: rootfs.diff_ids must be an array`);
  rootfs.diff_ids.forEach((d, i) => {
    try {
      validateDigest(d, `rootfs.diff_ids[${i}]`);
    } catch (err) {
      if (err instanceof InvalidDigestError) throw new ConfigInvalidError(`${where}: ${err.message}`);
      throw err;
    }
  });
  return doc as ImageConfig;
}
