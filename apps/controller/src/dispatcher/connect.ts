/**
 * connectDispatcher attaches the gRPC server to the Nest app as a
 * microservice: TLS with this replica's certificate chain (server cert, then
 * the CA, so joining agents can pin the CA), client certificates optional at
 * the TLS layer because Join has none; Session checks them itself.
 */
import type { INestApplication } from '@nestjs/common';
import { Transport, type MicroserviceOptions } from '@nestjs/microservices';
import { ServerCredentials } from '@grpc/grpc-js';
import path from 'node:path';
import { BerthConfig } from '../config/berth-config.js';
import { CaService } from '../ca/ca.module.js';
import { DISPATCHER_PACKAGE, DISPATCHER_PROTO, LOADER_OPTIONS, PROTO_ROOT } from '../../../../libs/proto/loader.js';

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
      credentials: ServerCredentials.createSsl(Buffer.from(ca.caPem), [{ private_key: Buffer.from(keyPem), cert_chain: Buffer.from(chainPem) }], false),
    },
  });
  await app.startAllMicroservices();
}
