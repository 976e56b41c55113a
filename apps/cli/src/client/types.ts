/** Response shapes of the REST API the CLI renders (docs/design/rest-api.md). */
export interface Node {
  id: string;
  hostname: string;
  addr: string;
  status: string;
  availability: string;
  tasks: number;
  cpus: number;
  memoryBytes: number;
}
export interface Container {
  id: string;
  name: string;
  image: string;
  command: string[];
  state: string;
  desiredState: string;
  node: string;
  exitCode: number | null;
  error: string;
  message: string;
  createdAt: string;
  address: string;
  /** Published ports, HOSTPORT:CONTAINERPORT/PROTO (host port 0 until the node picked one). */
  ports: string[];
}
export interface Service {
  id: string;
  name: string;
  image: string;
  replicas: number;
  running: number;
}
export interface Task {
  id: string;
  name: string;
  node: string;
  state: string;
  desiredState: string;
  error: string;
  message: string;
  statusAt: string;
  exitCode: number | null;
}
export interface Info {
  version: string;
  registry: string;
  registryService: string;
  nodes: { total: number; ready: number };
}
export interface Image {
  repository: string;
  tag: string;
  digest: string;
  size: number;
  reference: string;
}
