/**
 * watchLoopLag reports when this process's event loop was held up: every
 * LOOP_LAG_WINDOW_MS it reads the longest delay a timer saw (node's
 * event-loop delay histogram) and calls `report` when it passed the limit.
 * A held-up loop reads no messages and sends no heartbeats, so this is the
 * first thing to look at when a live node looks dead.
 */
import { monitorEventLoopDelay } from 'node:perf_hooks';

const LOOP_LAG_WINDOW_MS = 1_000;

export function watchLoopLag(limitMs: number, report: (maxMs: number) => void): () => void {
  const h = monitorEventLoopDelay({ resolution: 20 });
  h.enable();
  const timer = setInterval(() => {
    const maxMs = h.max / 1e6;
    h.reset();
    if (maxMs > limitMs) report(Math.round(maxMs));
  }, LOOP_LAG_WINDOW_MS);
  timer.unref();
  return () => {
    clearInterval(timer);
    h.disable();
  };
}
