/**
 * Exit files: conmon writes a container's exit code to <dir>/exit/<id> when
 * it exits. exitCode reads it; waitExit sleeps until it appears, on an
 * inotify watch of the exit dir re-checked every EXIT_POLL_MS in case an
 * event is missed, so a hundred idle containers cost no polling.
 */
import { watch, type FSWatcher } from 'node:fs';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import type { ContainerPaths } from './adapter.js';

/** EXIT_POLL_MS: safety re-check of the exit file while watching it with inotify. */
const EXIT_POLL_MS = 2_000;
/** EXIT_POLL_FALLBACK_MS: the polling period when the exit dir cannot be watched. */
const EXIT_POLL_FALLBACK_MS = 100;

export async function exitCode(p: ContainerPaths, id: string): Promise<number | undefined> {
  const raw = await readFile(path.join(p.exitDir, id), 'utf8').catch(() => undefined);
  return raw === undefined || raw.trim() === '' ? undefined : Number(raw.trim());
}

/** waitExit resolves with the exit code once conmon writes it, or undefined at the timeout or abort. */
export async function waitExit(p: ContainerPaths, id: string, timeoutMs: number, signal?: AbortSignal): Promise<number | undefined> {
  const deadline = Date.now() + timeoutMs;
  let wake: (() => void) | undefined;
  let watcher: FSWatcher | undefined;
  try {
    watcher = watch(p.exitDir, () => wake?.());
    watcher.on('error', () => {});
  } catch {
    watcher = undefined;
  }
  const onAbort = () => wake?.();
  signal?.addEventListener('abort', onAbort);
  try {
    while (!signal?.aborted) {
      const code = await exitCode(p, id);
      if (code !== undefined) return code;
      const left = deadline - Date.now();
      if (left <= 0) return undefined;
      await new Promise<void>((resolve) => {
        const t = setTimeout(resolve, Math.min(left, watcher ? EXIT_POLL_MS : EXIT_POLL_FALLBACK_MS));
        wake = () => {
          clearTimeout(t);
          resolve();
        };
      });
      wake = undefined;
    }
    return undefined;
  } finally {
    signal?.removeEventListener('abort', onAbort);
    watcher?.close();
  }
}
