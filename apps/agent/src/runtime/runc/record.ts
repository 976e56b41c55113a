/**
 * The runc runtime's record of one container (<dir>/record.json): its own
 * fields (stop signal, start and finish times) beside the worker's
 * metadata, in one flat JSON object written atomically (the layout older
 * agents wrote, so containers they started are re-adopted).
 */
import { readFile, rename, writeFile } from 'node:fs/promises';
import { constants as osConstants } from 'node:os';
import path from 'node:path';
import type { ContainerMetadata } from '../runtime.js';

export interface RuncRecord {
  /** The image's StopSignal (runc's name for it), TERM when it has none. */
  stopSignal?: string;
  startedAt: number;
  finishedAt: number;
}

const OWN_FIELDS = ['stopSignal', 'startedAt', 'finishedAt'] as const;

export async function readRecord(dir: string): Promise<(RuncRecord & { metadata: ContainerMetadata }) | undefined> {
  const raw = await readFile(path.join(dir, 'record.json'), 'utf8').catch(() => undefined);
  if (!raw) return undefined;
  const all = JSON.parse(raw) as RuncRecord & ContainerMetadata;
  const metadata: ContainerMetadata = { ...all };
  for (const f of OWN_FIELDS) delete metadata[f];
  return { stopSignal: all.stopSignal, startedAt: all.startedAt ?? 0, finishedAt: all.finishedAt ?? 0, metadata };
}

export async function writeRecord(dir: string, r: RuncRecord & { metadata: ContainerMetadata }): Promise<void> {
  const file = path.join(dir, 'record.json');
  const { metadata, ...own } = r;
  await writeFile(`${file}.tmp`, JSON.stringify({ ...metadata, ...own }));
  await rename(`${file}.tmp`, file);
}

/** stopSignalName turns an image StopSignal (SIGINT, INT, 2) into runc kill's name; TERM when unset or unknown. */
export function stopSignalName(s: string | undefined): string {
  if (!s) return 'TERM';
  const name = s.toUpperCase().replace(/^SIG/, '');
  if (/^\d+$/.test(name)) {
    const byNumber = Object.entries(osConstants.signals).find(([, n]) => n === Number(name));
    return byNumber ? byNumber[0].replace(/^SIG/, '') : 'TERM';
  }
  return `SIG${name}` in osConstants.signals ? name : 'TERM';
}
