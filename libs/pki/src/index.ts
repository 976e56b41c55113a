/**
 * libs/pki: the cluster's X.509 plumbing, shared by the controller's ca/ role
 * (creates the CA, signs node CSRs, issues its own server certificate) and the
 * agent's session/ role (makes its key and CSR, pins the CA by digest).
 * Pure crypto over WebCrypto (ECDSA P-256) and @peculiar/x509; no file or
 * network IO happens here.
 */
export * from './keys.js';
export * from './certs.js';
export * from './join-token.js';
