/**
 * Joining: the first boot of an agent. The CA is pinned before anything is
 * sent: the controller's TLS chain must contain a certificate whose SHA-256
 * equals the digest in the join token. Then Join trades the token and a CSR
 * for a node id and a certificate; the identity is saved and reused forever.
 */
import tls from 'node:tls';
import { createHash, X509Certificate } from 'node:crypto';
import * as grpc from '@grpc/grpc-js';
import { loadDispatcher } from '#libs/proto/loader.js';
import type { JoinResponse, NodeDescription } from '#libs/proto/messages.js';
import type { Identity } from '../state/state-db.js';

/** CONNECT_TIMEOUT_MS bounds the TLS probe and the Join call. */
const CONNECT_TIMEOUT_MS = 5_000;

/** JoinRefusedError: the controller said no (bad token, CA mismatch): retrying cannot help. */
export class JoinRefusedError extends Error {}
export class ControllerUnreachableError extends Error {}

function splitAddr(addr: string): { host: string; port: number } {
  const m = /^(.*):(\d+)$/.exec(addr);
  if (!m) throw new JoinRefusedError(`controller address must be HOST:PORT, got "${addr}"`);
  return { host: m[1].replace(/^\[|\]$/g, ''), port: Number(m[2]) };
}

/** fetchPinnedCA returns the PEM of the chain certificate whose digest the token pins. */
export function fetchPinnedCA(addr: string, caDigest: string): Promise<string> {
  const { host, port } = splitAddr(addr);
  return new Promise((resolve, reject) => {
    const sock = tls.connect({ host, port, rejectUnauthorized: false, ALPNProtocols: ['h2'], servername: undefined, timeout: CONNECT_TIMEOUT_MS });
    const done = (fn: () => void) => {
      sock.destroy();
      fn();
    };
    sock.on('timeout', () => done(() => reject(new ControllerUnreachableError(`controller ${addr}: TLS handshake timed out`))));
    sock.on('error', (e: Error) => done(() => reject(new ControllerUnreachableError(`controller ${addr}: ${e.message}`))));
    sock.on('secureConnect', () => {
      let c: tls.DetailedPeerCertificate | undefined = sock.getPeerCertificate(true);
      const seen = new Set<string>();
      while (c?.raw && !seen.has(c.fingerprint256)) {
        seen.add(c.fingerprint256);
        if (createHash('sha256').update(c.raw).digest('hex') === caDigest) {
          const pem = new X509Certificate(c.raw).toString();
          return done(() => resolve(pem));
        }
        c = c.issuerCertificate;
      }
      done(() => reject(new JoinRefusedError(`controller ${addr}: its CA does not match the join token (wrong cluster or tampered connection)`)));
    });
  });
}

export async function join(addr: string, token: string, description: NodeDescription): Promise<Identity> {
  // The X.509 library is needed once in an agent's life: load it only to join.
  const { createCSR, generateKeyPair, parseJoinToken } = await import('#libs/pki');
  let pinned: { caDigest: string };
  try {
    pinned = parseJoinToken(token);
  } catch (err) {
    throw new JoinRefusedError((err as Error).message);
  }
  const caPem = await fetchPinnedCA(addr, pinned.caDigest);
  const { privateKeyPem } = await generateKeyPair();
  const csrPem = await createCSR(privateKeyPem, description.hostname);
  const { Client } = loadDispatcher();
  const client = new Client(addr, grpc.credentials.createSsl(Buffer.from(caPem), null, null, { checkServerIdentity: () => undefined }));
  try {
    const res = await new Promise<JoinResponse>((resolve, reject) => {
      client.Join({ token, csrPem, description }, { deadline: Date.now() + CONNECT_TIMEOUT_MS * 3 }, (err: grpc.ServiceError | null, r?: JoinResponse) => {
        if (!err) return resolve(r!);
        if (err.code === grpc.status.PERMISSION_DENIED || err.code === grpc.status.UNAUTHENTICATED || err.code === grpc.status.INVALID_ARGUMENT) {
          reject(new JoinRefusedError(`join refused by controller: ${err.details}`));
        } else reject(new ControllerUnreachableError(`join: ${err.details || err.message}`));
      });
    });
    return { nodeId: res.nodeId, keyPem: privateKeyPem, certPem: res.certificatePem, caPem: res.caPem || caPem };
  } finally {
    client.close();
  }
}
