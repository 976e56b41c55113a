/** Fixture factories for scheduler specs (plain objects, no IO). */
import type { NodeInfo, TaskToPlace } from '../node-info.js';

let seq = 0;

export function makeNode(over: Partial<NodeInfo> = {}): NodeInfo {
  seq++;
  return { id: `node${seq}`, hostname: `h${seq}`, status: 'ready', availability: 'active', activeTasks: 0, tasksByService: new Map(), ...over };
}

export function makeTasks(n: number, serviceId: string | null = 'svc'): TaskToPlace[] {
  return Array.from({ length: n }, (_, i) => ({ id: `t${++seq}-${i}`, version: 1, serviceId }));
}
