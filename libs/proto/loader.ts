/**
 * libs/proto: loads the Dispatcher contract (berth/agent/v1/dispatcher.proto)
 * for @grpc/grpc-js on both sides, with one set of loader options so the
 * controller and the agent decode messages identically: enums as numbers,
 * 64-bit integers as numbers, defaults filled in, oneofs named. The message
 * types (messages.ts) are generated with the same choices (generate.sh).
 */
import { fileURLToPath } from 'node:url';
import path from 'node:path';
import * as protoLoader from '@grpc/proto-loader';
import * as grpc from '@grpc/grpc-js';
import type { ProtoGrpcType } from './generated/dispatcher.js';

/** PROTO_ROOT is the folder holding the .proto tree (found from dist/ too). */
export const PROTO_ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)).replace(`${path.sep}dist${path.sep}`, path.sep));
export const DISPATCHER_PROTO = 'berth/agent/v1/dispatcher.proto';
export const DISPATCHER_PACKAGE = 'berth.agent.v1';
export const DISPATCHER_SERVICE = 'Dispatcher';

export const LOADER_OPTIONS: protoLoader.Options = {
  keepCase: false,
  longs: Number,
  enums: Number,
  defaults: true,
  oneofs: true,
  includeDirs: [PROTO_ROOT],
};

type DispatcherClientConstructor = ProtoGrpcType['berth']['agent']['v1']['Dispatcher'];

/** loadDispatcher returns the grpc service definition and the typed client constructor. */
export function loadDispatcher(): { service: DispatcherClientConstructor['service']; Client: DispatcherClientConstructor } {
  const def = protoLoader.loadSync(DISPATCHER_PROTO, LOADER_OPTIONS);
  const Client = (grpc.loadPackageDefinition(def) as unknown as ProtoGrpcType).berth.agent.v1.Dispatcher;
  return { service: Client.service, Client };
}
