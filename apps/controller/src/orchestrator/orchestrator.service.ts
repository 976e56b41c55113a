/**
 * OrchestratorService: reconciles services to their desired replica count
 * (plan.ts decides, this applies), detects dead nodes from missed
 * heartbeats, and runs the periodic catch-up pass. New tasks are handed to
 * the scheduler as a schedule job, never by calling it. Each service reconcile
 * runs in one transaction holding that service's advisory lock, so any
 * number of controller replicas can run jobs concurrently without creating
 * duplicate tasks.
 */
import { Injectable, Logger } from '@nestjs/common';
import { LivenessStore, NodeStore, ServiceStore, TaskStore, Transactions } from '../store/store.module.js';
import { JobQueue } from '../queue/queue.module.js';
import { AllocatorService } from '../allocator/allocator.module.js';
import { NodeRouter } from '../dispatcher/node-router.js';
import { BerthConfig } from '../config/berth-config.js';
import { TaskState, asAttachments, asMounts } from '#libs/common';
import { planService } from './plan.js';
import { nodesToMarkDown } from './node-health.js';

/** FORGET_REPLICAS_EVERY_MS: how often a replica deletes the rows of replicas gone for a day. */
const FORGET_REPLICAS_EVERY_MS = 3_600_000;

@Injectable()
export class OrchestratorService {
  private readonly log = new Logger('orchestrator');
  /** The last reason silent nodes were held ready, so it is logged once, not every second. */
  private lastHeld = '';
  /** When this replica last deleted old replicas' rows. */
  private forgotAt = 0;

  constructor(
    private readonly services: ServiceStore,
    private readonly tasks: TaskStore,
    private readonly nodes: NodeStore,
    private readonly queue: JobQueue,
    private readonly tx: Transactions,
    private readonly allocator: AllocatorService,
    private readonly router: NodeRouter,
    private readonly config: BerthConfig,
    private readonly liveness: LivenessStore,
  ) {}

  async reconcileService(serviceId: string): Promise<void> {
    const down = new Set((await this.nodes.list()).filter((n) => n.status === 'down').map((n) => n.id));
    const result = await this.tx.withLock(`service:${serviceId}`, async (tx) => {
      const svc = await this.services.get(serviceId, tx);
      if (!svc) return undefined;
      const rows = await this.tasks.ofService(tx, serviceId);
      const plan = planService(
        svc.replicas,
        rows.map((t) => ({
          id: t.id,
          slot: t.slot,
          desiredState: t.desiredState,
          state: t.state,
          nodeDown: !!t.nodeId && down.has(t.nodeId),
          createdAt: t.createdAt.getTime(),
          statusAt: t.statusAt.getTime(),
        })),
        Date.now(),
      );
      const nodeOf = new Map(rows.map((t) => [t.id, t.nodeId]));
      await this.tasks.createMany(
        tx,
        plan.create.map((slot) => ({
          serviceId,
          slot,
          image: svc.image,
          command: svc.command,
          env: svc.env,
          networks: asAttachments(svc.networks),
          ports: svc.ports ?? [],
          mounts: asMounts(svc.mounts),
        })),
        this.allocator.addresses,
      );
      const byMessage = new Map<string, string[]>();
      for (const s of plan.shutdown) byMessage.set(s.message, [...(byMessage.get(s.message) ?? []), s.id]);
      for (const [message, ids] of byMessage) await this.tasks.setDesired(ids, TaskState.SHUTDOWN, message, tx);
      await this.tasks.delete(tx, plan.remove);
      const notify = [...plan.shutdown.map((s) => s.id), ...plan.remove].map((id) => nodeOf.get(id)).filter((n): n is string => !!n);
      return { plan, notify };
    });
    if (!result) return;
    if (result.plan.create.length) await this.queue.schedule();
    if (result.notify.length) await this.router.notifyNodes([...new Set(result.notify)]);
    if (result.plan.retryInMs !== undefined) await this.queue.reconcileService(serviceId, result.plan.retryInMs);
  }

  async reconcileAll(): Promise<void> {
    for (const id of await this.services.ids()) await this.reconcileService(id);
    await this.queue.schedule();
  }

  /**
   * checkNodes marks silent nodes down (nodesToMarkDown decides which, on
   * the database's clock) and reconciles the services that had tasks on them.
   */
  async checkNodes(): Promise<void> {
    const decision = nodesToMarkDown(await this.liveness.silence(this.config.nodeDownMs));
    if (decision.held && decision.held !== this.lastHeld) this.log.warn(decision.held);
    this.lastHeld = decision.held;
    const downed = await this.liveness.markDown(decision.ids, this.config.nodeDownMs, `no message for over ${this.config.nodeDownMs} ms`);
    if (Date.now() - this.forgotAt > FORGET_REPLICAS_EVERY_MS) {
      this.forgotAt = Date.now();
      await this.liveness.forgetReplicas();
    }
    if (!downed.length) return;
    this.log.warn(`node(s) down after ${this.config.nodeDownMs} ms without a message: ${downed.join(', ')}`);
    const services = new Set<string>();
    for (const nodeId of downed) for (const t of await this.tasks.list({ nodeId })) if (t.serviceId) services.add(t.serviceId);
    for (const s of services) await this.reconcileService(s);
  }
}
