/**
 * FileStateDb keeps the agent's state as small files under its state dir:
 * identity/{key.pem,cert.pem,ca.pem,node.json} and tasks/<id>.json. Every
 * write goes to a temp file first and is renamed, so a crash never leaves a
 * torn file.
 */
import { mkdir, readdir, readFile, rename, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import type { Identity, StateDb, TaskRecord } from './state-db.js';

async function atomic(file: string, data: string, mode = 0o644): Promise<void> {
  await mkdir(path.dirname(file), { recursive: true, mode: 0o700 });
  await writeFile(`${file}.tmp`, data, { mode });
  await rename(`${file}.tmp`, file);
}

export class FileStateDb implements StateDb {
  private readonly idDir: string;
  private readonly taskDir: string;

  constructor(stateDir: string) {
    this.idDir = path.join(stateDir, 'identity');
    this.taskDir = path.join(stateDir, 'tasks');
  }

  async loadIdentity(): Promise<Identity | undefined> {
    try {
      const { nodeId } = JSON.parse(await readFile(path.join(this.idDir, 'node.json'), 'utf8')) as { nodeId: string };
      const [keyPem, certPem, caPem] = await Promise.all(['key.pem', 'cert.pem', 'ca.pem'].map((f) => readFile(path.join(this.idDir, f), 'utf8')));
      return { nodeId, keyPem: keyPem, certPem: certPem, caPem: caPem };
    } catch {
      return undefined;
    }
  }

  async saveIdentity(id: Identity): Promise<void> {
    await atomic(path.join(this.idDir, 'key.pem'), id.keyPem, 0o600);
    await atomic(path.join(this.idDir, 'cert.pem'), id.certPem);
    await atomic(path.join(this.idDir, 'ca.pem'), id.caPem);
    await atomic(path.join(this.idDir, 'node.json'), JSON.stringify({ nodeId: id.nodeId }));
  }

  async listTasks(): Promise<TaskRecord[]> {
    const files = (await readdir(this.taskDir).catch(() => [] as string[])).filter((f) => f.endsWith('.json'));
    const out: TaskRecord[] = [];
    for (const f of files) {
      try {
        out.push(JSON.parse(await readFile(path.join(this.taskDir, f), 'utf8')) as TaskRecord);
      } catch {
        /* a torn temp file is never named .json; skip unreadable ones */
      }
    }
    return out;
  }

  putTask(rec: TaskRecord): Promise<void> {
    return atomic(path.join(this.taskDir, `${rec.spec.id}.json`), JSON.stringify(rec));
  }

  async deleteTask(taskId: string): Promise<void> {
    await rm(path.join(this.taskDir, `${taskId}.json`), { force: true });
  }
}
