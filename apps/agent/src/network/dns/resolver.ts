/**
 * EmbeddedDns: the resolver of one user-defined network on this host,
 * listening on the network's gateway address (UDP 53), which is the
 * nameserver in its containers' resolv.conf. It answers the names its
 * lookup knows — container and task names, aliases, service names (a
 * virtual IP, or every task's address with DNS round robin), on every
 * network the asking container is on — straight from the tables the
 * drivers keep as containers come and go, and forwards every other question
 * to the host's own resolvers.
 */
import dgram from 'node:dgram';
import { readFileSync } from 'node:fs';
import { answer, CLASS_IN, RCODE, readQuestion, TYPE_A } from './message.js';

/** FORWARD_TIMEOUT_MS bounds a forwarded question. */
const FORWARD_TIMEOUT_MS = 2_000;

/** upstreams reads the host's resolvers, leaving out loopback ones containers could not use anyway. */
export function hostResolvers(resolvConf = '/etc/resolv.conf'): string[] {
  let text: string;
  try {
    text = readFileSync(resolvConf, 'utf8');
  } catch {
    return [];
  }
  return [...text.matchAll(/^nameserver\s+(\d+\.\d+\.\d+\.\d+)\s*$/gm)].map((m) => m[1]).filter((ip) => !ip.startsWith('127.'));
}

/** Lookup: the addresses of `name` (lower case, no trailing dot) for a question from `client`; undefined when unknown. */
export type Lookup = (name: string, client: string) => string[] | undefined;

export class EmbeddedDns {
  private socket?: dgram.Socket;

  constructor(
    private readonly address: string,
    private readonly lookup: Lookup,
    private readonly upstreams: string[] = hostResolvers(),
    private readonly log: (m: string) => void = () => {},
  ) {}

  async start(): Promise<void> {
    if (this.socket) return;
    const s = dgram.createSocket({ type: 'udp4', reuseAddr: true });
    s.on('message', (msg, rinfo) => void this.handle(msg, rinfo.address, (out) => s.send(out, rinfo.port, rinfo.address)));
    s.on('error', (err) => this.log(`dns ${this.address}: ${err.message}`));
    await new Promise<void>((resolve, reject) => {
      s.once('error', reject);
      s.bind(53, this.address, () => {
        s.off('error', reject);
        resolve();
      });
    });
    this.socket = s;
  }

  stop(): void {
    this.socket?.close();
    this.socket = undefined;
  }

  private async handle(msg: Buffer, client: string, reply: (b: Buffer) => void): Promise<void> {
    let q;
    try {
      q = readQuestion(msg);
    } catch {
      return; // not a query we can answer: no reply, as for noise
    }
    const local = this.lookup(q.name.replace(/\.$/, ''), client);
    if (local) return reply(answer(q, RCODE.NOERROR, q.type === TYPE_A && q.klass === CLASS_IN ? local : [], 0));
    reply((await this.forward(msg)) ?? answer(q, this.upstreams.length ? RCODE.SERVFAIL : RCODE.NXDOMAIN));
  }

  private async forward(msg: Buffer): Promise<Buffer | undefined> {
    for (const up of this.upstreams) {
      const got = await new Promise<Buffer | undefined>((resolve) => {
        const s = dgram.createSocket('udp4');
        const timer = setTimeout(() => done(undefined), FORWARD_TIMEOUT_MS);
        const done = (b: Buffer | undefined) => {
          clearTimeout(timer);
          s.close();
          resolve(b);
        };
        s.on('message', (b) => done(b));
        s.on('error', () => done(undefined));
        s.send(msg, 53, up);
      });
      if (got) return got;
    }
    return undefined;
  }
}
