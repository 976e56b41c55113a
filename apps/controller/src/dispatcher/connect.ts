/**
 * connectDispatcher attaches the gRPC server to the Nest app as a
 * microservice: TLS with this replica's certificate chain (server cert, then
 * the CA, so joining agents can pin the CA), client certificates optional at
 * the TLS layer because Join has none; Session checks them itself.
 * (grpc-js's plain createSsl cannot ask for an optional client certificate;
 * its certificate-provider credentials can.)
 */
import type { INestApplication } from '@nestjs/common';
import { Transport, type MicroserviceOptions } from '@nestjs/microservices';
import { experimental, type ServerCredentials } from '@grpc/grpc-js';
import path from 'node:path';
import { BerthConfig } from '../config/berth-config.js';
import { CaService } from '../ca/ca.module.js';
import { KEEPALIVE_MS, KEEPALIVE_TIMEOUT_MS } from './tunables.js';
import { DISPATCHER_PACKAGE, DISPATCHER_PROTO, LOADER_OPTIONS, PROTO_ROOT } from '#libs/proto/loader.js';

export async function connectDispatcher(app: INestApplication): Promise<void> {
  const config = app.get(BerthConfig);
  const ca = app.get(CaService);
  const { keyPem, chainPem } = ca.serverIdentity();
  app.connectMicroservice<MicroserviceOptions>({
    transport: Transport.GRPC,
    options: {
      package: DISPATCHER_PACKAGE,
      protoPath: path.join(PROTO_ROOT, DISPATCHER_PROTO),
      url: `0.0.0.0:${config.grpcPort}`,
      loader: LOADER_OPTIONS,
      credentials: serverCredentials(ca.caPem, keyPem, chainPem),
      // A connection whose agent vanished (host cut off, no FIN) is noticed and its session ended.
      channelOptions: { 'grpc.keepalive_time_ms': KEEPALIVE_MS, 'grpc.keepalive_timeout_ms': KEEPALIVE_TIMEOUT_MS },
    },
  });
  await app.startAllMicroservices();
}

/** StaticProvider hands grpc-js one fixed CA and identity. */
class StaticProvider implements experimental.CertificateProvider {
  constructor(
    private readonly ca: Buffer | null,
    private readonly identity: { certificate: Buffer; privateKey: Buffer } | null,
  ) {}
  addCaCertificateListener(l: experimental.CaCertificateUpdateListener): void {
    if (this.ca) l({ caCertificate: this.ca });
  }
  removeCaCertificateListener(): void {}
  addIdentityCertificateListener(l: experimental.IdentityCertificateUpdateListener): void {
    if (this.identity) l(this.identity);
  }
  removeIdentityCertificateListener(): void {}
}

function serverCredentials(caPem: string, keyPem: string, chainPem: string): ServerCredentials {
  // One provider serves both roles: grpc-js 1.14 passes this function's two
  // provider arguments to its constructor in the opposite order to its typings.
  const provider = new StaticProvider(Buffer.from(caPem), { certificate: Buffer.from(chainPem), privateKey: Buffer.from(keyPem) });
  const creds = experimental.createCertificateProviderServerCredentials(provider, provider, false);
  // The providers are only read once a watcher exists, but the server takes
  // its TLS context when it binds: register one so the context is ready first.
  (creds as unknown as { _addWatcher(w: () => void): void })._addWatcher(() => {});
  return creds;
}
