/**
 * AttachmentsService: which networks a container or service is on. It
 * checks a create request's networks, aliases and published ports, and
 * connects running containers to networks or disconnects them (network
 * connect / disconnect): the change is stored, the container's node is told,
 * and the call waits (bounded) until the agent reports the container's
 * address on the network, or its absence; a connect the agent could not make
 * is undone and its reason returned.
 */
import { BadGatewayException, Injectable } from '@nestjs/common';
import { ConflictError, ContainerStore, NetworkStore, TaskStore, type Network } from '../../store/store.module.js';
import { NodeRouter } from '../../dispatcher/dispatcher.module.js';
import { AllocatorService } from '../../allocator/allocator.module.js';
import { BuiltinNetwork, DriverName, TaskState, formatPublish, hostPortKey, isBuiltinNetwork, isExclusiveNetwork, parsePublish, type Attachment, type PortError } from '#libs/common';
import { mapContainer } from '../common/mappers.js';
import { fieldError } from '../common/validation.js';
import type { ConnectDto, NetworkAttachmentDto } from './network.dto.js';

/** CONNECT_WAIT_MS bounds how long connect/disconnect wait for the agent; CONNECT_POLL_MS how often they look. */
const CONNECT_WAIT_MS = 10_000;
const CONNECT_POLL_MS = 100;

export interface AttachRequest {
  network?: string;
  networks?: NetworkAttachmentDto[];
  publish?: string[];
}

export interface CheckedAttachments {
  networks: Attachment[];
  /** Published ports in stored form. */
  ports: string[];
  /** The user-defined networks among them. */
  user: Network[];
}

@Injectable()
export class AttachmentsService {
  constructor(
    private readonly store: NetworkStore,
    private readonly containers: ContainerStore,
    private readonly tasks: TaskStore,
    private readonly router: NodeRouter,
    private readonly allocator: AllocatorService,
  ) {}

  /** check validates what a create request asks for; `container` says it is a one-off container (attachable networks only). */
  async check(req: AttachRequest, container: boolean): Promise<CheckedAttachments> {
    if (req.network !== undefined && req.networks !== undefined) throw fieldError('networks', 'give network or networks, not both');
    const networks: Attachment[] = req.networks?.map((n) => ({ name: n.name, ...(n.aliases?.length ? { aliases: [...new Set(n.aliases)] } : {}) })) ?? [{ name: req.network ?? BuiltinNetwork.BRIDGE }];
    if (!networks.length) throw fieldError('networks', 'give at least one network (none for no network)');
    const names = networks.map((n) => n.name);
    const twice = names.find((n, i) => names.indexOf(n) !== i);
    if (twice) throw fieldError('networks', `network ${twice} is given twice`);
    const alone = names.find(isExclusiveNetwork);
    if (alone && names.length > 1) throw fieldError('networks', `the ${alone} network cannot be combined with other networks`);
    const user = await this.store.byNames(names.filter((n) => !isBuiltinNetwork(n)));
    for (const n of networks) {
      const u = user.find((x) => x.name === n.name);
      if (!u && !isBuiltinNetwork(n.name)) throw fieldError('network', `network "${n.name}" not found (berth network ls)`);
      if (!u && n.aliases?.length) throw fieldError('networks', `aliases are for user-defined networks, not ${n.name}`);
      if (u && container && !u.attachable) throw fieldError('network', `overlay network ${u.name} is not attachable: containers join overlays created with --attachable (services join any)`);
    }
    return { networks, ports: this.checkPublish(networks, user, req.publish ?? []), user };
  }

  /** checkPublish: ports are published through the first bridge network; returns them in stored form. */
  private checkPublish(networks: Attachment[], user: Network[], publish: string[]): string[] {
    if (!publish.length) return [];
    const first = networks[0].name;
    if (isExclusiveNetwork(first)) throw fieldError('publish', `ports are published on bridge networks; ${first} has ${first === BuiltinNetwork.HOST ? "the host's own ports already" : 'no network'}`);
    const bridge = networks.find((n) => n.name === BuiltinNetwork.BRIDGE || user.find((u) => u.name === n.name)?.driver === DriverName.BRIDGE);
    if (!bridge) {
      const u = user.find((x) => x.name === first)!;
      throw fieldError('publish', `ports are published on bridge networks; on ${u.driver} network ${u.name} the container has its own address`);
    }
    const seen = new Set<string>();
    return publish.map((p) => {
      let m;
      try {
        m = parsePublish(p);
      } catch (err) {
        throw fieldError('publish', (err as PortError).message);
      }
      if (m.hostPort && seen.has(hostPortKey(m))) throw fieldError('publish', `host port ${m.hostPort}/${m.protocol} is published twice`);
      seen.add(hostPortKey(m));
      return formatPublish(m);
    });
  }

  private async network(ref: string): Promise<{ name: string; attachable: boolean; driver: string }> {
    if (isExclusiveNetwork(ref)) throw fieldError('network', `containers cannot be connected to or disconnected from the ${ref} network`);
    if (ref === BuiltinNetwork.BRIDGE) return { name: BuiltinNetwork.BRIDGE, attachable: true, driver: DriverName.BRIDGE };
    return this.store.resolve(ref);
  }

  async connect(ref: string, dto: ConnectDto) {
    const n = await this.network(ref);
    const c = await this.containers.resolve(dto.container);
    if (!n.attachable) throw fieldError('network', `overlay network ${n.name} is not attachable (create it with --attachable)`);
    if (dto.aliases?.length && n.name === BuiltinNetwork.BRIDGE) throw fieldError('aliases', 'aliases are for user-defined networks, not bridge');
    await this.containers.setNetworks(
      c.id,
      (cur) => {
        if (cur.some((a) => isExclusiveNetwork(a.name))) throw fieldError('container', `container ${c.name} uses the ${cur[0].name} network and cannot join others`);
        if (cur.some((a) => a.name === n.name)) throw new ConflictError(`container ${c.name} is already connected to network ${n.name}`);
        if (cur.length >= 8) throw fieldError('network', `container ${c.name} is on 8 networks already, the most it can be on`);
        return [...cur, { name: n.name, aliases: [...new Set(dto.aliases ?? [])] }];
      },
      this.allocator.addresses,
    );
    const failed = `connecting to network ${n.name} failed`;
    const reached = await this.settle(c.task?.id, (a, message) => (n.name in a ? true : message.startsWith(failed) ? false : undefined));
    if (reached === false) {
      await this.containers.setNetworks(c.id, (cur) => cur.filter((a) => a.name !== n.name), this.allocator.addresses);
      await this.notify(c.task?.id);
      const t = c.task && (await this.tasks.get(c.task.id));
      throw new BadGatewayException(`the node did not connect container ${c.name} to ${n.name}: ${t?.message || 'no answer in time'}`);
    }
    return mapContainer((await this.containers.get(c.id))!);
  }

  async disconnect(ref: string, dto: ConnectDto) {
    const n = await this.network(ref);
    const c = await this.containers.resolve(dto.container);
    const bridges = new Set<string>([BuiltinNetwork.BRIDGE, ...(await this.store.list()).filter((u) => u.driver === DriverName.BRIDGE).map((u) => u.name)]);
    await this.containers.setNetworks(
      c.id,
      (cur) => {
        if (!cur.some((a) => a.name === n.name)) throw new ConflictError(`container ${c.name} is not connected to network ${n.name}`);
        // Ports are published through the first bridge network (checkPublish, and the agent alike).
        const carrier = cur.find((a) => bridges.has(a.name));
        if (c.task?.ports.length && carrier?.name === n.name) throw new ConflictError(`container ${c.name} publishes ports through network ${n.name}; it cannot leave it`);
        return cur.filter((a) => a.name !== n.name);
      },
      this.allocator.addresses,
    );
    await this.settle(c.task?.id, (a) => (n.name in a ? undefined : true));
    return mapContainer((await this.containers.get(c.id))!);
  }

  private async notify(taskId: string | undefined): Promise<void> {
    const t = taskId ? await this.tasks.get(taskId) : null;
    if (t?.nodeId) await this.router.notifyNodes([t.nodeId]);
  }

  /**
   * settle tells the task's node and waits until `outcome` of its reported addresses and
   * message is decided: true or false as decided, false when the agent of the running
   * task did not decide in time, undefined when the task is not running (the change
   * applies when it starts).
   */
  private async settle(taskId: string | undefined, outcome: (addresses: Record<string, string>, message: string) => boolean | undefined): Promise<boolean | undefined> {
    await this.notify(taskId);
    const deadline = Date.now() + CONNECT_WAIT_MS;
    for (;;) {
      const t = taskId ? await this.tasks.get(taskId) : null;
      if (!t || t.state !== TaskState.RUNNING || t.desiredState !== TaskState.RUNNING) return undefined;
      const decided = outcome((t.addresses ?? {}) as Record<string, string>, t.message);
      if (decided !== undefined) return decided;
      if (Date.now() > deadline) return false;
      await new Promise((r) => setTimeout(r, CONNECT_POLL_MS));
    }
  }
}
