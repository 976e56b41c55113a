/**
 * Probe: a container on the service's network asking its virtual IP every 100 ms
 * and logging `ok <epoch s>` or `fail <epoch s>` for each try, so a chaos
 * case can count what clients saw during it and when they were answered
 * again. Its host is left alone by the cases (otherHost picks their victims).
 */
import { Lab } from '../lab/lab.js';
import { waitFor } from '../lab/sh.js';

// busybox-static's wget crashes and its nc resolves no names (static glibc has no DNS NSS), so
// the probe asks the service's virtual IP with nc.
const SCRIPT = (vip: string) =>
  `while :; do if printf 'GET / HTTP/1.0\r\n\r\n' | nc -w 1 ${vip} 80 2>/dev/null | grep -q '200 OK'; then echo "ok $(date +%s)"; else echo "fail $(date +%s)"; fi; sleep 0.1; done`;

interface Try {
  ok: boolean;
  at: number;
}

export class Probe {
  private constructor(
    private readonly lab: Lab,
    readonly containerId: string,
    readonly host: number,
  ) {}

  /** start runs the probe on `network`, asking port 80 of `service`'s virtual IP. */
  static async start(lab: Lab, network: string, service: string): Promise<Probe> {
    const vip = (await lab.api('GET', `/services/${service}`)).body.vip as string;
    if (!vip) throw new Error(`service ${service} has no virtual IP`);
    const r = await lab.cli(['run', '-d', '--name', 'probe', '--network', network, 'busybox', 'sh', '-c', SCRIPT(vip)], 120_000);
    if (r.code !== 0) throw new Error(`probe: ${r.stderr}`);
    const id = r.stdout.trim();
    const c = await waitFor(
      'the probe running',
      async () => {
        const v = (await lab.api('GET', `/containers/${id}`)).body as { state: string; node: string; taskId: string };
        return v.state === 'running' ? v : undefined;
      },
      60_000,
    );
    return new Probe(lab, c.taskId, Number(c.node.replace(/^h/, '')));
  }

  /** otherHost: a host the probe does not run on, the first after it. */
  otherHost(): number {
    return (this.host % 3) + 1;
  }

  async tries(): Promise<Try[]> {
    const r = await this.lab.cli(['logs', 'probe'], 30_000);
    if (r.code !== 0) throw new Error(`probe logs: ${r.stderr}`);
    return r.stdout.split('\n').flatMap((l) => {
      const m = /^(ok|fail) (\d+)$/.exec(l.trim());
      return m ? [{ ok: m[1] === 'ok', at: Number(m[2]) * 1000 }] : [];
    });
  }

  async counts(fromMs: number, toMs: number): Promise<{ ok: number; failed: number }> {
    const inCase = (await this.tries()).filter((t) => t.at >= Math.floor(fromMs / 1000) * 1000 && t.at <= toMs);
    return { ok: inCase.filter((t) => t.ok).length, failed: inCase.filter((t) => !t.ok).length };
  }

  /** answersAfter waits for an answered try in a second after `ms`. */
  async answersAfter(ms: number, timeoutMs: number): Promise<void> {
    await waitFor(
      `the probe answered within ${timeoutMs / 1000} s`,
      async () => {
        try {
          return (await this.tries()).some((t) => t.ok && t.at > ms);
        } catch {
          return false;
        }
      },
      timeoutMs + 1_000,
      500,
    );
  }
}
