/**
 * Start latency: API call (POST /api/containers, like `berth run -d`) →
 * task running, on an idle one-host lab with the image already present.
 * "Running" is the time the agent observed the process running (the task's
 * statusAt, same clock). Prints JSON with p50/p90 over RUNS runs.
 */
import { Lab } from '../test/lab/lab.js';
import { percentile } from './common.js';

const RUNS = Number(process.env.RUNS ?? 30);

async function main(): Promise<void> {
  const lab = await Lab.start({ hosts: 1, controllers: 1 });
  try {
    const once = async (): Promise<number> => {
      const t0 = Date.now();
      const c = (await lab.api('POST', '/containers', { image: 'busybox', command: ['sleep', '60'] })).body;
      for (let i = 0; i < 400; i++) {
        const t = (await lab.api('GET', `/tasks/${c.taskId}`)).body;
        if (t.state === 'running') {
          // Remove it and wait until the host is idle again before the next run.
          await lab.api('DELETE', `/containers/${c.id}?force=true`);
          for (let j = 0; j < 200 && (await lab.containers(1)).size; j++) await new Promise((r) => setTimeout(r, 25));
          return Date.parse(t.statusAt) - t0;
        }
        await new Promise((r) => setTimeout(r, 25));
      }
      throw new Error('container did not start within 10 s');
    };
    await once(); // pulls the image once: not measured
    const samples: number[] = [];
    for (let i = 0; i < RUNS; i++) samples.push(await once());
    console.log(
      JSON.stringify({
        bench: 'start-latency',
        runs: RUNS,
        p50_ms: percentile(samples, 50),
        p90_ms: percentile(samples, 90),
        min_ms: Math.min(...samples),
        max_ms: Math.max(...samples),
        target_p50_ms: 150,
      }),
    );
  } finally {
    await lab.stop();
  }
}

void main();
