/**
 * startFuzzRegistry: the real registry process with token auth on, for the
 * registry fuzzer (spec and bench): a JWKS endpoint on 127.0.0.1 serving
 * one signing key, a token granting everything signed with it, and a token
 * signed with another key (forged). Everything lives under `dir`.
 */
import { createServer } from 'node:http';
import { newSigningKey, signToken, toJwk } from '#libs/regauth';
import { startRegistry, type RegistryProcess } from '../fixtures/registry-process.js';
import type { FuzzAuth } from './registry-fuzz.js';

export interface FuzzRegistry {
  reg: RegistryProcess;
  baseUrl: string;
  auth: FuzzAuth;
  stop(): Promise<void>;
}

export async function startFuzzRegistry(dir: string): Promise<FuzzRegistry> {
  const key = await newSigningKey();
  const other = await newSigningKey();
  const keys = JSON.stringify({ keys: [await toJwk(key.publicKey)] });
  const jwks = createServer((_req, res) => void res.writeHead(200, { 'content-type': 'application/json' }).end(keys));
  await new Promise<void>((r) => jwks.listen(0, '127.0.0.1', r));
  const claims = {
    iss: 'fuzz-controller',
    sub: 'fuzzer',
    aud: 'fuzz-registry',
    ttlS: 24 * 3600,
    access: [
      { type: 'repository', name: '*', actions: ['*'] },
      { type: 'registry', name: '*', actions: ['*'] },
    ],
  };
  const auth = { token: (await signToken(key.privateKey, key.kid, claims)).token, forged: (await signToken(other.privateKey, key.kid, claims)).token };
  let reg: RegistryProcess;
  try {
    reg = await startRegistry(dir, [
      '--auth-realm',
      'http://127.0.0.1:1/token',
      '--auth-service',
      'fuzz-registry',
      '--auth-issuer',
      'fuzz-controller',
      '--auth-jwks',
      `http://127.0.0.1:${(jwks.address() as { port: number }).port}/jwks`,
    ]);
  } catch (err) {
    jwks.close();
    throw err;
  }
  return {
    reg,
    auth,
    baseUrl: `http://${reg.host}`,
    stop: async () => {
      await reg.stop();
      jwks.close();
    },
  };
}
