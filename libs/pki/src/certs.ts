/**
 * The cluster CA and the certificates it signs. Node certificates carry the
 * node id as their common name and are valid for TLS client auth; controller
 * replicas get a server certificate for their advertised address. Every
 * certificate is signed with ECDSA P-256 / SHA-256.
 */
import { createHash, randomBytes, webcrypto, X509Certificate as NodeX509 } from 'node:crypto';
import { isIP } from 'node:net';
import * as x509 from '@peculiar/x509';
import { generateKeyPair, importKeyPair, SIGNING_ALGORITHM } from './keys.js';

export interface CertAndKey {
  certPem: string;
  keyPem: string;
}

export class InvalidCsrError extends Error {}

const DAY_MS = 86_400_000;
/** CA_VALIDITY_DAYS: ten years, like swarmkit's root CA default (20y) but rotatable sooner. */
export const CA_VALIDITY_DAYS = 3650;
/** NODE_CERT_VALIDITY_DAYS: node and server certificates; renewal is a later concern. */
export const NODE_CERT_VALIDITY_DAYS = 365;

function serial(): string {
  const b = randomBytes(16);
  b[0] = b[0] & 0x7f; // positive
  return b.toString('hex');
}

/** createCA makes a self-signed CA certificate and key. */
export async function createCA(commonName = 'berth-cluster-ca'): Promise<CertAndKey> {
  const { privateKeyPem, keys } = await generateKeyPair();
  const now = Date.now();
  const cert = await x509.X509CertificateGenerator.createSelfSigned({
    serialNumber: serial(),
    name: `CN=${commonName}`,
    notBefore: new Date(now - 60_000),
    notAfter: new Date(now + CA_VALIDITY_DAYS * DAY_MS),
    signingAlgorithm: SIGNING_ALGORITHM,
    keys,
    extensions: [
      new x509.BasicConstraintsExtension(true, 0, true),
      new x509.KeyUsagesExtension(x509.KeyUsageFlags.keyCertSign | x509.KeyUsageFlags.cRLSign, true),
      await x509.SubjectKeyIdentifierExtension.create(keys.publicKey),
    ],
  });
  return { certPem: cert.toString('pem') + '\n', keyPem: privateKeyPem };
}

/** createCSR makes a PKCS#10 request for the given key with CN = commonName. */
export async function createCSR(keyPem: string, commonName: string): Promise<string> {
  const keys = await importKeyPair(keyPem);
  const csr = await x509.Pkcs10CertificateRequestGenerator.create({
    name: `CN=${commonName}`,
    keys,
    signingAlgorithm: SIGNING_ALGORITHM,
  });
  return csr.toString('pem') + '\n';
}

export interface SignOptions {
  /** Subject CN of the issued certificate (the node id for agents). */
  commonName: string;
  /** DNS names and IP addresses for a server certificate. */
  altNames?: string[];
  usage: 'client' | 'server';
}

async function issue(ca: CertAndKey, publicKey: x509.PublicKey | webcrypto.CryptoKey, opts: SignOptions): Promise<{ certPem: string; serial: string }> {
  const caCert = new x509.X509Certificate(ca.certPem);
  const caKeys = await importKeyPair(ca.keyPem);
  const now = Date.now();
  const sn = serial();
  const extensions: x509.Extension[] = [
    new x509.BasicConstraintsExtension(false, undefined, true),
    new x509.KeyUsagesExtension(x509.KeyUsageFlags.digitalSignature | x509.KeyUsageFlags.keyAgreement, true),
    new x509.ExtendedKeyUsageExtension([opts.usage === 'server' ? x509.ExtendedKeyUsage.serverAuth : x509.ExtendedKeyUsage.clientAuth]),
    await x509.AuthorityKeyIdentifierExtension.create(caKeys.publicKey),
  ];
  if (opts.altNames?.length) {
    extensions.push(new x509.SubjectAlternativeNameExtension(opts.altNames.map((n) => ({ type: isIP(n) ? 'ip' : 'dns', value: n }))));
  }
  const cert = await x509.X509CertificateGenerator.create({
    serialNumber: sn,
    subject: `CN=${opts.commonName}`,
    issuer: caCert.subject,
    notBefore: new Date(now - 60_000),
    notAfter: new Date(now + NODE_CERT_VALIDITY_DAYS * DAY_MS),
    signingAlgorithm: SIGNING_ALGORITHM,
    publicKey,
    signingKey: caKeys.privateKey,
    extensions,
  });
  return { certPem: cert.toString('pem') + '\n', serial: sn };
}

/**
 * signCSR verifies a PEM CSR's self-signature and issues a certificate for its
 * public key. The subject comes from opts, never from the request, so an agent
 * cannot choose its own node id.
 */
export async function signCSR(ca: CertAndKey, csrPem: string, opts: SignOptions): Promise<{ certPem: string; serial: string }> {
  let csr: x509.Pkcs10CertificateRequest;
  try {
    csr = new x509.Pkcs10CertificateRequest(csrPem);
  } catch {
    throw new InvalidCsrError('csr_pem is not a PEM PKCS#10 certificate request');
  }
  if (!(await csr.verify())) throw new InvalidCsrError('csr_pem signature does not verify');
  return issue(ca, csr.publicKey, opts);
}

/** issueKeyAndCert makes a fresh key pair and a certificate for it (controller server certs). */
export async function issueKeyAndCert(ca: CertAndKey, opts: SignOptions): Promise<CertAndKey & { serial: string }> {
  const { privateKeyPem, keys } = await generateKeyPair();
  const { certPem, serial: sn } = await issue(ca, keys.publicKey, opts);
  return { certPem, keyPem: privateKeyPem, serial: sn };
}

/** certDigest is the lower-case hex SHA-256 of a certificate's DER encoding. */
export function certDigest(certPem: string): string {
  return createHash('sha256').update(new NodeX509(certPem).raw).digest('hex');
}

/** certCommonName returns the subject CN of a PEM or DER certificate. */
export function certCommonName(cert: string | Buffer): string {
  const subject = new NodeX509(cert).subject;
  const cn = subject.split('\n').find((l) => l.startsWith('CN='));
  return cn ? cn.slice(3) : '';
}

/** verifySignedBy is true when `certPem` was issued and signed by `caPem`. */
export function verifySignedBy(certPem: string | Buffer, caPem: string): boolean {
  const cert = new NodeX509(certPem);
  const ca = new NodeX509(caPem);
  return cert.checkIssued(ca) && cert.verify(ca.publicKey);
}
