/**
 * TypeScript shapes of the dispatcher.proto messages as the loader decodes
 * them (camelCase fields, enums and 64-bit integers as numbers, the set oneof
 * field named in `msg`). Keep in step with the .proto file.
 */
export interface NodeDescription {
  hostname: string;
  cpus: number;
  memoryBytes: number;
  labels: Record<string, string>;
  addr: string;
  agentVersion: string;
  volumePlugins?: Array<{ name: string; scope: string }>;
}

export interface JoinRequest { token: string; csrPem: string; description: NodeDescription }
export interface JoinResponse { nodeId: string; certificatePem: string; caPem: string }

export interface TaskStatus {
  taskId: string;
  state: number;
  message: string;
  error: string;
  hasExitCode: boolean;
  exitCode: number;
  address: string;
  timestampMs: number;
  /** network name → the container's address on it (networks that give one). */
  addresses?: Record<string, string>;
  /** With READY: anonymous volumes made for the image's VOLUMEs. */
  imageVolumes?: Array<{ name: string; target: string }>;
}

export interface TaskSpec {
  id: string;
  name: string;
  serviceId: string;
  slot: number;
  image: string;
  command: string[];
  env: string[];
  /** In order; the first has the default route. */
  networks: NetworkAttachment[];
  desiredState: number;
  stopGraceMs: number;
  pullAuth?: PullAuth;
  ports?: PortMapping[];
  serviceName?: string;
  vip?: string;
  mounts?: MountSpec[];
}

export interface MountSpec {
  type: string; source: string; target: string; readonly?: boolean; propagation?: string; tmpfsSize?: number; tmpfsMode?: number;
  driver?: string; volumeOptions?: Record<string, string>;
}

export interface NetworkAttachment { name: string; aliases?: string[]; ip?: string; config?: NetworkConfig }

export interface OverlayPeer { ip: string; vtep: string; names?: string[]; service?: string; vip?: string }
export interface OverlayPeers { network: string; peers: OverlayPeer[] }
export interface PortMapping { hostPort: number; containerPort: number; protocol: string }

export interface NetworkConfig { name: string; driver: string; bridge: string; subnet: string; gateway: string; ipRange: string; internal: boolean; options?: Record<string, string> }

export interface PullAuth { username: string; password: string; bearerToken: string }

/** LogLine: a line of a container's output; `partial` when it has no newline (yet): the next line of its stream continues it. */
export interface LogLine { timeMs: number; stream: string; text: string; partial?: boolean }
export interface LogRequest { requestId: string; taskId: string; follow: boolean; tail: number }
export interface LogChunk { requestId: string; lines: LogLine[]; eof: boolean; error: string }
export interface BuildRequest {
  requestId: string; contextBlob: string; registryToken: string; dockerfile: string; tag: string;
  buildArgs: Record<string, string>; target: string; noCache: boolean;
}
export interface LayerProgress { layer: string; phase: string; current: number; total: number }
export interface PullRequest { requestId: string; image: string; auth?: PullAuth }
export interface PullProgress { requestId: string; layers: LayerProgress[]; eof: boolean; error: string; digest: string }
export interface VolumeRemoveResult { requestId: string; removed: string[]; error: string }
export interface PruneResult { requestId: string; removedImages: string[]; bytesFreed: number; error: string }
export interface BuildOutput { requestId: string; lines: string[]; eof: boolean; error: string; imageDigest: string }

export type AgentMessage =
  | { hello: { description: NodeDescription; tasks: TaskStatus[] }; msg?: 'hello' }
  | { heartbeat: Record<string, never>; msg?: 'heartbeat' }
  | { statuses: { statuses: TaskStatus[] }; msg?: 'statuses' }
  | { log: LogChunk; msg?: 'log' }
  | { buildOutput: BuildOutput; msg?: 'buildOutput' }
  | { pullProgress: PullProgress; msg?: 'pullProgress' }
  | { pruneResult: PruneResult; msg?: 'pruneResult' }
  | { volumeRemoveResult: VolumeRemoveResult; msg?: 'volumeRemoveResult' }
  | { nodeUpdate: NodeDescription; msg?: 'nodeUpdate' };

export type ControllerMessage =
  | { accepted: { nodeId: string; heartbeatPeriodMs: number; vipPool?: string }; msg?: 'accepted' }
  | { assignments: { tasks: TaskSpec[]; sequence: number; overlays?: OverlayPeers[] }; msg?: 'assignments' }
  | { logRequest: LogRequest; msg?: 'logRequest' }
  | { logCancel: { requestId: string }; msg?: 'logCancel' }
  | { buildRequest: BuildRequest; msg?: 'buildRequest' }
  | { buildCancel: { requestId: string }; msg?: 'buildCancel' }
  | { pullRequest: PullRequest; msg?: 'pullRequest' }
  | { pruneRequest: { requestId: string }; msg?: 'pruneRequest' }
  | { volumeRemoveRequest: { requestId: string; names: string[]; drivers?: Record<string, string> }; msg?: 'volumeRemoveRequest' };
