/**
 * DispatcherGrpc: the gRPC face of the dispatcher (dispatcher.proto). Join
 * is the only call without a client certificate; Session authenticates the
 * agent from its certificate and hands the stream to an AgentSession.
 */
import { Controller, Logger } from '@nestjs/common';
import { GrpcMethod, GrpcStreamCall, RpcException } from '@nestjs/microservices';
import { status, type ServerDuplexStream, type ServerUnaryCall } from '@grpc/grpc-js';
import type { AgentMessage, ControllerMessageInput, JoinRequest, JoinResponse } from '#libs/proto/messages.js';
import { NetworkStore, NodeStore, TaskStore, VolumeStore } from '../store/store.module.js';
import { JobQueue } from '../queue/queue.module.js';
import { BerthConfig } from '../config/berth-config.js';
import { CaService, JoinTokenService } from '../ca/ca.module.js';
import { InvalidCsrError } from '#libs/pki';
import { NodeRouter } from './node-router.js';
import { AgentSession } from './session.js';
import { PullAuthResolver } from './pull-auth.js';
import { Liveness } from './liveness.js';

@Controller()
export class DispatcherGrpc {
  private readonly log = new Logger('dispatcher');

  constructor(
    private readonly ca: CaService,
    private readonly joinTokens: JoinTokenService,
    private readonly nodes: NodeStore,
    private readonly tasks: TaskStore,
    private readonly queue: JobQueue,
    private readonly router: NodeRouter,
    private readonly config: BerthConfig,
    private readonly pullAuth: PullAuthResolver,
    private readonly networks: NetworkStore,
    private readonly volumes: VolumeStore,
    private readonly liveness: Liveness,
  ) {}

  @GrpcMethod('Dispatcher', 'Join')
  async join(req: JoinRequest, _meta: unknown, call: ServerUnaryCall<JoinRequest, JoinResponse>): Promise<JoinResponse> {
    const peer = call?.getPeer?.() ?? 'unknown peer';
    if (!(await this.joinTokens.valid(req.token))) {
      this.log.warn(`join refused for ${peer} (${req.description?.hostname ?? '?'}): invalid join token`);
      throw new RpcException({ code: status.PERMISSION_DENIED, message: 'invalid join token' });
    }
    const d = req.description;
    if (!d?.hostname || d.hostname.length > 253) throw new RpcException({ code: status.INVALID_ARGUMENT, message: 'description.hostname is required (at most 253 characters)' });
    let node;
    try {
      node = await this.nodes.create({ hostname: d.hostname, cpus: d.cpus, memoryBytes: d.memoryBytes, labels: d.labels ?? {}, addr: d.addr, agentVersion: d.agentVersion, volumePlugins: [] });
      const cert = await this.ca.signNode(req.csrPem, node.id);
      await this.nodes.setCertSerial(node.id, cert.serial);
      this.log.log(`node ${node.id} (${d.hostname}) joined from ${peer}`);
      return { nodeId: node.id, certificatePem: cert.certPem, caPem: this.ca.caPem };
    } catch (err) {
      if (node) await this.nodes.delete(node.id);
      if (err instanceof InvalidCsrError) throw new RpcException({ code: status.INVALID_ARGUMENT, message: `csr_pem: ${err.message}` });
      throw err;
    }
  }

  @GrpcStreamCall('Dispatcher', 'Session')
  session(call: ServerDuplexStream<AgentMessage, ControllerMessageInput>): void {
    const der = call.getAuthContext?.()?.sslPeerCertificate?.raw;
    const nodeId = this.ca.nodeIdOf(der);
    const fail = (msg: string) => call.emit('error', { code: status.UNAUTHENTICATED, details: msg, message: msg });
    if (!nodeId) return void fail('a client certificate signed by the cluster CA is required');
    void this.nodes.get(nodeId).then(
      (node) => {
        if (!node) return fail(`node ${nodeId} is not known to this cluster`);
        new AgentSession(call, nodeId, {
          nodes: this.nodes,
          tasks: this.tasks,
          queue: this.queue,
          router: this.router,
          config: this.config,
          pullAuth: this.pullAuth,
          networks: this.networks,
          volumes: this.volumes,
          liveness: this.liveness,
        }).run();
      },
      () => fail('node lookup failed'),
    );
  }
}
