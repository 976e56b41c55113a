/**
 * CaService: the cluster CA (one row in Postgres, created by whichever
 * replica starts first), this replica's server certificate, and signing of
 * node certificates. Node certificates carry the node id as CN.
 */
import { Injectable, Logger, OnModuleInit } from '@nestjs/common';
import { hostname } from 'node:os';
import { CaStore } from '../store/store.module.js';
import { BerthConfig } from '../config/berth-config.js';
import { createCA, certDigest, certCommonName, issueKeyAndCert, signCSR, verifySignedBy, type CertAndKey } from '#libs/pki';

@Injectable()
export class CaService implements OnModuleInit {
  private readonly log = new Logger('ca');
  private ca?: CertAndKey & { digest: string };
  private server?: CertAndKey;

  constructor(
    private readonly store: CaStore,
    private readonly config: BerthConfig,
  ) {}

  async onModuleInit(): Promise<void> {
    let row = await this.store.get();
    if (!row) {
      const fresh = await createCA();
      row = await this.store.createOnce({ ...fresh, digest: certDigest(fresh.certPem) });
      this.log.log(`cluster CA ready (sha256 ${row.digest.slice(0, 12)}…)`);
    }
    this.ca = { certPem: row.certPem, keyPem: row.keyPem, digest: row.digest };
    const altNames = [...new Set([this.config.advertiseAddr, '127.0.0.1', 'localhost', hostname()])];
    this.server = await issueKeyAndCert(this.ca, { commonName: `berth-controller-${this.config.replicaId}`, altNames, usage: 'server' });
  }

  get caPem(): string {
    return this.ca!.certPem;
  }

  get caKeyPem(): string {
    return this.ca!.keyPem;
  }

  get digest(): string {
    return this.ca!.digest;
  }

  /** serverIdentity is this replica's key and certificate chain (server cert, then the CA). */
  serverIdentity(): { keyPem: string; chainPem: string } {
    return { keyPem: this.server!.keyPem, chainPem: this.server!.certPem + this.ca!.certPem };
  }

  signNode(csrPem: string, nodeId: string): Promise<{ certPem: string; serial: string }> {
    return signCSR(this.ca!, csrPem, { commonName: nodeId, usage: 'client' });
  }

  /** nodeIdOf returns the node id of a peer certificate signed by this CA, or undefined. */
  nodeIdOf(der: Buffer | undefined): string | undefined {
    if (!der?.length) return undefined;
    try {
      return verifySignedBy(der, this.ca!.certPem) ? certCommonName(der) : undefined;
    } catch {
      return undefined;
    }
  }
}
