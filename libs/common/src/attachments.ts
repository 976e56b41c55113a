/**
 * Network attachments: which networks a service, container or task is on,
 * in order (the first has the default route), with the aliases it answers
 * to there and, on cluster-scoped networks, the address the controller gave
 * it. Also the CLI's `--network` syntax: `NAME` or
 * `name=NAME,alias=A,alias=B`. Shared by the CLI, the controller and tests.
 */
export class AttachmentError extends Error {}

export interface Attachment {
  name: string;
  aliases?: string[];
  /** Set on tasks only, for cluster-scoped networks. */
  ip?: string;
}

export const NETWORK_NAME = /^[a-zA-Z0-9][a-zA-Z0-9_.-]{0,62}$/;
/** ALIAS: a DNS name of one or more labels. */
export const ALIAS = /^(?=.{1,253}$)[a-zA-Z0-9]([a-zA-Z0-9-]{0,61}[a-zA-Z0-9])?(\.[a-zA-Z0-9]([a-zA-Z0-9-]{0,61}[a-zA-Z0-9])?)*$/;

/** parseNetworkFlag reads one `--network` value. */
export function parseNetworkFlag(value: string): Attachment {
  if (!value.includes('=')) return { name: value };
  const out: Attachment = { name: '', aliases: [] };
  for (const part of value.split(',')) {
    const eq = part.indexOf('=');
    const key = part.slice(0, eq).trim();
    const v = part.slice(eq + 1).trim();
    if (eq < 0 || !v) throw new AttachmentError(`--network "${value}": "${part}" must be key=value`);
    if (key === 'name' || key === 'target') out.name = v;
    else if (key === 'alias') out.aliases!.push(v);
    else throw new AttachmentError(`--network "${value}": unknown key "${key}" (name, alias)`);
  }
  if (!out.name) throw new AttachmentError(`--network "${value}": give the network's name (name=NETWORK)`);
  return out;
}

/** asAttachments reads a stored attachments column, tolerating nothing else than an array of objects. */
export function asAttachments(v: unknown): Attachment[] {
  if (!Array.isArray(v)) return [];
  return v.filter((a): a is Attachment => !!a && typeof a === 'object' && typeof (a as Attachment).name === 'string');
}

/** networkNames: the attachments' network names, in order. */
export function networkNames(v: unknown): string[] {
  return asAttachments(v).map((a) => a.name);
}
