/**
 * NetworksService: the networks themselves. The built-in bridge, host and
 * none networks are listed with the user-defined ones, which are stored
 * rows. Bridge networks are local-scope: each host that runs a task on one
 * gets its own Linux bridge (NAT out unless internal, isolated from other
 * networks); subnets come from BERTH_NETWORK_POOL unless given and never
 * overlap each other, the default bridge's or the service VIP pool. Macvlan
 * and overlay networks are cluster-scoped: the controller gives each task
 * its address; an overlay has its own VXLAN id (both given by the
 * allocator) and is joined by services, and by containers only when created
 * attachable.
 */
import { BadRequestException, Injectable } from '@nestjs/common';
import { ConflictError, NetworkStore, type Network, type NewNetwork } from '../../store/store.module.js';
import { AllocatorService } from '../../allocator/allocator.module.js';
import { BerthConfig } from '../../config/berth-config.js';
import {
  BUILTIN_NETWORKS,
  BuiltinNetwork,
  CidrError,
  DriverName,
  isClusterDriver,
  isExclusiveNetwork,
  contains,
  isBuiltinNetwork,
  formatCidr,
  intToIp,
  ipToInt,
  nextFree,
  overlaps,
  parseCidr,
  within,
  type Cidr,
} from '#libs/common';
import { fieldError } from '../common/validation.js';
import type { CreateNetworkDto } from './network.dto.js';

/** DEFAULT_BRIDGE_SUBNET: what agents give the default bridge unless told otherwise; user networks avoid it. */
const DEFAULT_BRIDGE_SUBNET = '10.210.0.0/16';

function view(n: Network) {
  return {
    id: n.id,
    name: n.name,
    driver: n.driver,
    scope: isClusterDriver(n.driver) ? 'cluster' : 'local',
    subnet: n.subnet,
    gateway: n.gateway,
    ipRange: n.ipRange,
    internal: n.internal,
    attachable: n.attachable,
    options: n.options ?? {},
    builtin: false,
    createdAt: n.createdAt,
  };
}

const MACVLAN_MODES = ['bridge', 'private', 'vepa', 'passthru'];

/** driverOptions validates the options a driver takes; returns them normalised. */
function driverOptions(driver: string, dto: CreateNetworkDto): Record<string, string> {
  const o = dto.options ?? {};
  if (driver === DriverName.OVERLAY && 'encrypted' in o) {
    throw fieldError('options', 'encrypted overlays are not available: they need IPsec ESP or WireGuard in the kernel of every host, and this build has neither (see README)');
  }
  if (driver !== DriverName.MACVLAN) {
    if (Object.keys(o).length) throw fieldError('options', `${driver} networks take no options`);
    return {};
  }

  for (const [k, v] of Object.entries(o)) {
    if (!['parent', 'mode', 'macvlan_mode'].includes(k)) throw fieldError('options', `unknown macvlan option "${k}" (parent, mode)`);
    if (typeof v !== 'string') throw fieldError('options', `option ${k} must be a string`);
  }
  const parent = o.parent ?? '';
  if (!/^[\w.-]{1,15}$/.test(parent)) throw fieldError('options', 'macvlan needs -o parent=IFACE (the host interface on the segment)');
  const mode = o.mode ?? o.macvlan_mode ?? 'bridge';
  if (!MACVLAN_MODES.includes(mode)) throw fieldError('options', `macvlan mode must be one of ${MACVLAN_MODES.join(', ')}`);
  if (!dto.subnet) throw fieldError('subnet', "macvlan networks need the segment's subnet (--subnet)");
  if (dto.internal) throw fieldError('internal', 'macvlan networks cannot be internal');
  return { parent, mode };
}

function builtinView(name: string) {
  return {
    id: name,
    name,
    driver: name,
    scope: 'local',
    subnet: name === BuiltinNetwork.BRIDGE ? DEFAULT_BRIDGE_SUBNET : '',
    gateway: '',
    ipRange: '',
    internal: false,
    attachable: !isExclusiveNetwork(name),
    builtin: true,
    createdAt: null,
  };
}

@Injectable()
export class NetworksService {
  constructor(
    private readonly store: NetworkStore,
    private readonly allocator: AllocatorService,
    private readonly config: BerthConfig,
  ) {}

  async list() {
    return [...BUILTIN_NETWORKS.map(builtinView), ...(await this.store.list()).map(view)];
  }

  async get(ref: string) {
    if (isBuiltinNetwork(ref)) return builtinView(ref);
    return view(await this.store.resolve(ref));
  }

  /** settings validates a request's addressing against the networks that exist (`taken`). */
  private settings(dto: CreateNetworkDto, taken: Network[]): NewNetwork {
    const others = [DEFAULT_BRIDGE_SUBNET, this.config.vipPool, ...taken.map((t) => t.subnet).filter(Boolean)].map(parseCidr);
    let subnet: Cidr | undefined;
    try {
      subnet = dto.subnet ? parseCidr(dto.subnet) : undefined;
    } catch (err) {
      throw fieldError('subnet', (err as CidrError).message);
    }
    if (subnet) {
      if (subnet.prefix > 29) throw fieldError('subnet', `${dto.subnet} is too small (at most /29)`);
      const inside = subnet;
      const clash = others.find((o) => overlaps(o, inside));
      if (clash)
        throw fieldError(
          'subnet',
          `${dto.subnet} overlaps ${formatCidr(clash)}, already used by ${formatCidr(clash) === formatCidr(parseCidr(this.config.vipPool)) ? "services' virtual IPs (BERTH_VIP_POOL)" : 'another network'}`,
        );
    } else {
      if (dto.gateway || dto.ipRange) throw fieldError('subnet', 'a gateway or IP range needs the subnet it belongs to');
      subnet = nextFree(parseCidr(this.config.networkPool), 24, others);
      if (!subnet) throw new ConflictError(`the network address pool ${this.config.networkPool} is exhausted; give --subnet`);
    }
    let gateway = subnet.base + 1;
    if (dto.gateway) {
      try {
        gateway = ipToInt(dto.gateway);
      } catch (err) {
        throw fieldError('gateway', (err as CidrError).message);
      }
      if (!contains(subnet, gateway) || gateway === subnet.base || gateway === subnet.base + subnet.size - 1) {
        throw fieldError('gateway', `${dto.gateway} is not a host address of ${formatCidr(subnet)}`);
      }
    }
    let ipRange = '';
    if (dto.ipRange) {
      try {
        const r = parseCidr(dto.ipRange);
        if (!within(r, subnet)) throw new CidrError(`${dto.ipRange} is not inside ${formatCidr(subnet)}`);
        ipRange = formatCidr(r);
      } catch (err) {
        throw fieldError('ipRange', (err as CidrError).message);
      }
    }
    const driver = dto.driver ?? DriverName.BRIDGE;
    const options = driverOptions(driver, dto);
    if (dto.attachable !== undefined && driver !== DriverName.OVERLAY) throw fieldError('attachable', `${driver} networks are always attachable; the option is for overlay networks`);
    return {
      name: dto.name,
      driver,
      subnet: formatCidr(subnet),
      gateway: intToIp(gateway),
      ipRange,
      internal: dto.internal ?? false,
      attachable: driver !== DriverName.OVERLAY || !!dto.attachable,
      options,
    };
  }

  async create(dto: CreateNetworkDto) {
    const driver = dto.driver ?? DriverName.BRIDGE;
    driverOptions(driver, dto);
    if (isBuiltinNetwork(dto.name)) throw new ConflictError(`network ${dto.name} is built in`);
    return view(await this.allocator.createNetwork(dto.name, (taken) => this.settings(dto, taken)));
  }

  async remove(ref: string): Promise<void> {
    if (isBuiltinNetwork(ref)) throw new BadRequestException(`network ${ref} is built in and cannot be removed`);
    const n = await this.store.resolve(ref);
    const users = await this.store.usersOf(n.name);
    if (users) throw new ConflictError(`network ${n.name} is in use by ${users} task${users === 1 ? '' : 's'}; remove them first`);
    await this.store.delete(n.id);
  }

  /** prune removes every user-defined network no task uses. */
  async prune() {
    const removed: string[] = [];
    for (const n of await this.store.list()) {
      if (!(await this.store.usersOf(n.name))) {
        await this.store.delete(n.id);
        removed.push(n.name);
      }
    }
    return { removed };
  }
}
