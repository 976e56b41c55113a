/**
 * SecretBox: AES-256-GCM encryption of stored secrets (other registries'
 * passwords) with the controllers' secret key. The key lives outside the
 * database (BERTH_SECRET_KEY_FILE, created on first start when absent), so a
 * copy of the database alone reveals no password. Every replica must be
 * given the same key file.
 */
import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';

export class SecretKeyError extends Error {}

export class SecretBox {
  private constructor(private readonly key: Buffer) {}

  /** open reads the key file, creating it (mode 0600) when it does not exist. */
  static async open(file: string): Promise<SecretBox> {
    let raw = await readFile(file, 'utf8').catch((err: NodeJS.ErrnoException) => {
      if (err.code === 'ENOENT') return undefined;
      throw new SecretKeyError(`cannot read the secret key ${file}: ${err.message}`);
    });
    if (raw === undefined) {
      raw = randomBytes(32).toString('base64');
      await mkdir(path.dirname(file), { recursive: true, mode: 0o700 });
      await writeFile(file, `${raw}\n`, { mode: 0o600, flag: 'wx' }).catch(async (err: NodeJS.ErrnoException) => {
        if (err.code !== 'EEXIST') throw new SecretKeyError(`cannot write the secret key ${file}: ${err.message}`);
        raw = await readFile(file, 'utf8');
      });
    }
    const key = Buffer.from(raw.trim(), 'base64');
    if (key.length !== 32) throw new SecretKeyError(`the secret key ${file} must hold 32 bytes in base64`);
    return new SecretBox(key);
  }

  static fromKey(key: Buffer): SecretBox {
    if (key.length !== 32) throw new SecretKeyError('the secret key must be 32 bytes');
    return new SecretBox(key);
  }

  seal(plain: string): string {
    const iv = randomBytes(12);
    const c = createCipheriv('aes-256-gcm', this.key, iv);
    const body = Buffer.concat([c.update(plain, 'utf8'), c.final()]);
    return ['v1', iv.toString('base64'), c.getAuthTag().toString('base64'), body.toString('base64')].join(':');
  }

  open(sealed: string): string {
    const [v, iv, tag, body] = sealed.split(':');
    if (v !== 'v1' || !iv || !tag || body === undefined) throw new SecretKeyError('stored secret is not in a known format');
    try {
      const d = createDecipheriv('aes-256-gcm', this.key, Buffer.from(iv, 'base64'));
      d.setAuthTag(Buffer.from(tag, 'base64'));
      return Buffer.concat([d.update(Buffer.from(body, 'base64')), d.final()]).toString('utf8');
    } catch {
      throw new SecretKeyError('cannot decrypt a stored secret: this controller has a different secret key (BERTH_SECRET_KEY_FILE) than the one that stored it');
    }
  }
}
