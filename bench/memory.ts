/**
 * Memory: the agent's resident set idle right after joining, idle after a
 * restart (the steady state: an agent joins once in its life), and with 50
 * running containers; the controller's alongside. Prints JSON (MB).
 */
import { Lab } from '../test/lab/lab.js';
import { rssMb, until } from './common.js';

async function main(): Promise<void> {
  const lab = await Lab.start({ hosts: 1, controllers: 1 });
  try {
    const controllerPid = lab.controllers[0].proc!.child.pid!;
    await new Promise((r) => setTimeout(r, 3000));
    const afterJoin = await rssMb(lab.agents.get(1)!.child.pid!);
    await lab.stopAgent(1);
    lab.startAgent(1);
    await until('agent back', async () => (await lab.nodes())[0]?.status === 'ready' && (await lab.api('GET', '/info')).status === 200, 30_000, 200);
    await new Promise((r) => setTimeout(r, 3000));
    const agentPid = lab.agents.get(1)!.child.pid!;
    const idle = await rssMb(agentPid);
    const controllerIdle = await rssMb(controllerPid);
    await lab.api('POST', '/services', { name: 'mem', image: 'busybox', replicas: 50, command: ['sleep', '3600'] });
    await until('50 running', async () => (await lab.api('GET', '/services/mem')).body.running === 50, 120_000, 200);
    await new Promise((r) => setTimeout(r, 3000));
    const busy = await rssMb(agentPid);
    const controllerBusy = await rssMb(controllerPid);
    console.log(
      JSON.stringify({
        bench: 'memory',
        agent_idle_after_join_mb: afterJoin,
        agent_idle_mb: idle,
        agent_50_containers_mb: busy,
        controller_idle_mb: controllerIdle,
        controller_50_tasks_mb: controllerBusy,
        target_agent_idle_mb: 80,
      }),
    );
  } finally {
    await lab.stop();
  }
}

void main();
