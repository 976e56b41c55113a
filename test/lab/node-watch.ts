/**
 * NodeWatch polls a lab's nodes every 250 ms until stopped: each time a
 * node turns down (with its hostname), and the longest a ready node went
 * unheard as the controller recorded it. Used where every agent is alive,
 * so any node marked down is a false alarm (chaos cases, the convergence
 * bench).
 */
import type { Lab } from './lab.js';

export class NodeWatch {
  /** Hostnames in the order they were seen turning down (repeats included). */
  readonly downs: string[] = [];
  maxLagMs = 0;
  private readonly status = new Map<string, string>();
  private readonly timer: NodeJS.Timeout;
  private polling = false;

  constructor(
    private readonly lab: Lab,
    private readonly onDown: (hostname: string) => void = () => {},
  ) {
    // Never what keeps a test process alive: a case that fails before stop() must not hang its file.
    this.timer = setInterval(() => void this.poll(), 250).unref();
  }

  /** stop ends the polling and gives the hostnames seen turning down, each once. */
  stop(): string[] {
    clearInterval(this.timer);
    return [...new Set(this.downs)];
  }

  private async poll(): Promise<void> {
    if (this.polling) return;
    this.polling = true;
    try {
      const nodes = (await this.lab.api('GET', '/nodes')).body as Array<{ id: string; hostname: string; status: string; lastHeartbeatAt: string | null }>;
      const now = Date.now();
      for (const n of nodes) {
        if (n.status === 'down' && this.status.get(n.id) !== 'down') {
          this.downs.push(n.hostname);
          this.onDown(n.hostname);
        }
        this.status.set(n.id, n.status);
        if (n.status === 'ready' && n.lastHeartbeatAt) this.maxLagMs = Math.max(this.maxLagMs, now - Date.parse(n.lastHeartbeatAt));
      }
    } catch {
      /* the API busy past its timeout: the next poll tries again */
    } finally {
      this.polling = false;
    }
  }
}
