/** toTaskSpec: a task row as the proto's TaskSpec (the agent's view of it). */
import type { TaskSpec } from '../../../../libs/proto/messages.js';
import type { TaskWithNames } from '../store/store.module.js';
import { STOP_GRACE_MS } from './tunables.js';
import { parsePublish } from '../../../../libs/common/src/index.js';

export function taskName(t: Pick<TaskWithNames, 'service' | 'container' | 'slot' | 'id'>): string {
  if (t.service) return `${t.service.name}.${t.slot}`;
  return t.container?.name ?? t.id;
}

export function toTaskSpec(t: TaskWithNames): TaskSpec {
  return {
    id: t.id, name: taskName(t), serviceId: t.serviceId ?? '', slot: t.slot, image: t.image, command: t.command,
    env: t.env, network: t.network, desiredState: t.desiredState, stopGraceMs: STOP_GRACE_MS,
    ports: (t.ports ?? []).map(parsePublish), ip: t.ip ?? '',
  };
}
