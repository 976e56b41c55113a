/**
 * Endpoints: who is on one user-defined network, as its resolver and its
 * containers' load balancing see it — this host's containers (attached
 * here) and, on an overlay, every task cluster-wide (the controller's peer
 * table). From them it derives the name records (container and task names,
 * short ids and aliases → addresses; a service's name → its virtual IP, or
 * every task's address with endpoint mode dnsrr) and, for each service with
 * a virtual IP, a NAT chain in every local container's network namespace
 * that sends connections to the VIP to one of the service's tasks at
 * random (the per-sandbox balancing Docker does with IPVS), and takes the
 * container's own address on this network as the source of such
 * connections (its first network may be another one, whose address the
 * tasks could not answer). Chains are rewritten whole (iptables-restore),
 * only where they changed: a container joining gets the current chains
 * before it runs; the others' are brought up to date in the background,
 * SETTLE_MS after a change, one pass at a time, so a burst of N containers
 * joining costs about N rewrites plus a few passes, not N passes over all.
 * A namespace made for the container's start gets its hooks in the same
 * iptables-restore as its chains (one command); any other is checked first.
 */

/** SETTLE_MS: how long changes gather before the other containers' chains are rewritten. */
const SETTLE_MS = 500;
import type { Peer } from './network-driver.js';
import { run } from '../exec/run.js';

export interface Member {
  names: string[];
  address: string;
  service?: { name: string; vip: string };
  /** The container's network namespace (absent while it is not running). */
  netns?: string;
  /** The namespace was made for this start: nothing of this network's is hooked in it yet. */
  newNamespace?: boolean;
}

interface Entry {
  ip: string;
  names: string[];
  service?: string;
  vip?: string;
}

/** vipRules: the chain's rules balancing each VIP over its backends, equally at random. */
export function vipRules(chain: string, services: Map<string, { vip: string; ips: string[] }>): string[] {
  const out: string[] = [];
  for (const { vip, ips } of [...services.values()].sort((a, b) => a.vip.localeCompare(b.vip))) {
    if (!vip) continue;
    const backends = [...new Set(ips)].sort();
    backends.forEach((ip, i) => {
      const left = backends.length - i;
      const pick = left > 1 ? ['-m', 'statistic', '--mode', 'random', '--probability', (1 / left).toFixed(5)] : [];
      out.push(['-A', chain, '-d', `${vip}/32`, ...pick, '-j', 'DNAT', '--to-destination', ip].join(' '));
    });
  }
  return out;
}

export class Endpoints {
  private readonly members = new Map<string, Member>();
  private peers: Peer[] = [];
  private records = new Map<string, string[]>();
  private rules: string[] = [];
  /** containerId → the rules last written into its namespace. */
  private readonly applied = new Map<string, string>();
  /** Namespaces whose OUTPUT and POSTROUTING already jump to the chains. */
  private readonly hooked = new Set<string>();
  /** New namespaces known to have no hooks yet: their first write adds them without checking. */
  private readonly bare = new Set<string>();
  private programming?: Promise<void>;
  private again = false;
  private settling?: NodeJS.Timeout;

  /** chain: the NAT chains' name in containers' namespaces (at most 26 characters); subnet: the network's. */
  constructor(
    private readonly chain: string,
    private readonly subnet: string,
    private readonly log: (m: string) => void = () => {},
  ) {}

  has(id: string): boolean {
    return this.members.has(id);
  }

  memberAt(address: string): string | undefined {
    for (const [id, m] of this.members) if (m.address === address) return id;
    return undefined;
  }

  lookup(name: string): string[] | undefined {
    return this.records.get(name);
  }

  /** set adds or updates a local container; it resolves once that container's own chains are current. */
  async set(id: string, m: Member): Promise<void> {
    this.members.set(id, m);
    if (m.netns && m.newNamespace && !this.hooked.has(m.netns)) this.bare.add(m.netns);
    this.rebuild();
    const text = this.rules.join('\n');
    if (m.netns && (this.applied.get(id) ?? '') !== text) await this.writeMember(id, m.netns, text);
  }

  remove(id: string): Promise<void> {
    const m = this.members.get(id);
    if (!m) return Promise.resolve();
    this.members.delete(id);
    this.applied.delete(id);
    if (m.netns) {
      this.hooked.delete(m.netns);
      this.bare.delete(m.netns);
    }
    this.rebuild();
    return Promise.resolve();
  }

  setPeers(peers: Peer[]): Promise<void> {
    this.peers = peers;
    this.rebuild();
    return Promise.resolve();
  }

  /** rebuild recomputes records and rules from members and peers; the namespaces follow SETTLE_MS later. */
  private rebuild(): void {
    const entries = new Map<string, Entry>();
    for (const p of this.peers) entries.set(p.ip, { ip: p.ip, names: p.names ?? [], service: p.service, vip: p.vip });
    for (const m of this.members.values()) {
      const prev = entries.get(m.address);
      entries.set(m.address, { ip: m.address, names: [...new Set([...(prev?.names ?? []), ...m.names])], service: m.service?.name ?? prev?.service, vip: m.service?.vip ?? prev?.vip });
    }
    const records = new Map<string, string[]>();
    const services = new Map<string, { vip: string; ips: string[] }>();
    for (const e of entries.values()) {
      for (const n of e.names.map((x) => x.toLowerCase())) records.set(n, [...(records.get(n) ?? []), e.ip]);
      if (!e.service) continue;
      const s = services.get(e.service) ?? { vip: '', ips: [] };
      s.vip ||= e.vip ?? '';
      s.ips.push(e.ip);
      services.set(e.service, s);
    }
    for (const [name, s] of services) records.set(name.toLowerCase(), s.vip ? [s.vip] : s.ips.sort());
    this.records = records;
    const balance = vipRules(this.chain, services);
    this.rules = balance.length ? [...balance, `-A ${this.chain}-S -d ${this.subnet} -m conntrack --ctstate DNAT -j MASQUERADE`] : [];
    this.settling ??= setTimeout(() => {
      this.settling = undefined;
      void this.program();
    }, SETTLE_MS);
    this.settling.unref();
  }

  /** program writes the current rules into every local container whose namespace lacks them. */
  private program(): Promise<void> {
    if (this.programming) {
      this.again = true;
      return this.programming;
    }
    this.programming = (async () => {
      do {
        this.again = false;
        const text = this.rules.join('\n');
        for (const [id, m] of this.members) {
          if (!m.netns || (this.applied.get(id) ?? '') === text) continue;
          await this.writeMember(id, m.netns, text);
        }
      } while (this.again);
    })().finally(() => {
      this.programming = undefined;
    });
    return this.programming;
  }

  /** writeMember writes `text` into one container's namespace and records it as applied there. */
  private writeMember(id: string, netns: string, text: string): Promise<void> {
    return this.write(netns, text).then(
      () => void this.applied.set(id, text),
      (err: Error) => this.log(`vip rules for ${id}: ${err.message}`),
    );
  }

  /** write replaces the chains in one namespace and hooks them into OUTPUT and POSTROUTING once. */
  private async write(netns: string, rules: string): Promise<void> {
    const hooks: Array<[string, string]> = [
      ['OUTPUT', this.chain],
      ['POSTROUTING', `${this.chain}-S`],
    ];
    const bare = !this.hooked.has(netns) && this.bare.delete(netns);
    const lines = [`:${this.chain} - [0:0]`, `:${this.chain}-S - [0:0]`, ...(rules ? [rules] : []), ...(bare ? hooks.map(([hook, chain]) => `-A ${hook} -j ${chain}`) : [])];
    // A container that exited meanwhile takes its namespace along: nsenter fails before reading
    // its input, and the failure is the command's (rejected here), not a broken pipe's.
    await run('nsenter', [`--net=${netns}`, 'iptables-restore', '-w', '5', '--noflush'], { timeout: 10_000, input: `*nat\n${lines.join('\n')}\nCOMMIT\n` });
    if (this.hooked.has(netns) || bare) {
      this.hooked.add(netns);
      return;
    }
    for (const [hook, chain] of hooks) {
      const there = await run('nsenter', [`--net=${netns}`, 'iptables', '-w', '5', '-t', 'nat', '-C', hook, '-j', chain]).then(
        () => true,
        () => false,
      );
      if (!there) await run('nsenter', [`--net=${netns}`, 'iptables', '-w', '5', '-t', 'nat', '-A', hook, '-j', chain]);
    }
    this.hooked.add(netns);
  }
}
