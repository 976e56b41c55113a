/**
 * Applies prisma/migrations/<name>/migration.sql in name order, each once and
 * each in its own transaction, recording them in Prisma's own
 * `_prisma_migrations` table. Berth ships this runner because `prisma migrate
 * deploy` needs Prisma's native schema engine, a binary the Prisma CLI
 * downloads at run time and which cannot be fetched on an offline machine.
 * A session-level advisory lock makes concurrent runs (two controller
 * replicas starting together) apply each migration exactly once.
 *
 * Usage: node dist/prisma/migrate.js   (reads BERTH_DATABASE_URL)
 */
import { createHash, randomUUID } from 'node:crypto';
import { readdir, readFile } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import pg from 'pg';

const LOCK_KEY = 72_616_172; // arbitrary constant shared by every runner
const here = path.dirname(fileURLToPath(import.meta.url)).replace(`${path.sep}dist${path.sep}`, path.sep);
export const MIGRATIONS_DIR = path.join(here, 'migrations');

export async function migrate(databaseUrl: string, log: (m: string) => void = () => {}): Promise<string[]> {
  const client = new pg.Client({ connectionString: databaseUrl });
  await client.connect();
  const applied: string[] = [];
  try {
    await client.query('SELECT pg_advisory_lock($1)', [LOCK_KEY]);
    await client.query(`CREATE TABLE IF NOT EXISTS "_prisma_migrations" (
      "id" VARCHAR(36) PRIMARY KEY, "checksum" VARCHAR(64) NOT NULL, "finished_at" TIMESTAMPTZ,
      "migration_name" VARCHAR(255) NOT NULL, "logs" TEXT, "rolled_back_at" TIMESTAMPTZ,
      "started_at" TIMESTAMPTZ NOT NULL DEFAULT now(), "applied_steps_count" INTEGER NOT NULL DEFAULT 0)`);
    const done = new Map<string, string>(
      (await client.query('SELECT migration_name, checksum FROM "_prisma_migrations" WHERE finished_at IS NOT NULL AND rolled_back_at IS NULL')).rows.map(
        (r: { migration_name: string; checksum: string }) => [r.migration_name, r.checksum],
      ),
    );
    const names = (await readdir(MIGRATIONS_DIR, { withFileTypes: true }))
      .filter((d) => d.isDirectory())
      .map((d) => d.name)
      .sort();
    for (const name of names) {
      const sql = await readFile(path.join(MIGRATIONS_DIR, name, 'migration.sql'), 'utf8');
      const checksum = createHash('sha256').update(sql).digest('hex');
      const seen = done.get(name);
      if (seen !== undefined) {
        if (seen !== checksum) throw new Error(`migration ${name} was changed after it was applied (checksum differs)`);
        continue;
      }
      await client.query('BEGIN');
      try {
        await client.query(sql);
        await client.query('INSERT INTO "_prisma_migrations" (id, checksum, finished_at, migration_name, applied_steps_count) VALUES ($1, $2, now(), $3, 1)', [randomUUID(), checksum, name]);
        await client.query('COMMIT');
      } catch (err) {
        await client.query('ROLLBACK');
        throw new Error(`migration ${name} failed: ${(err as Error).message}`, { cause: err });
      }
      applied.push(name);
      log(`applied migration ${name}`);
    }
  } finally {
    await client.query('SELECT pg_advisory_unlock($1)', [LOCK_KEY]).catch(() => {});
    await client.end();
  }
  return applied;
}

if (process.argv[1] && fileURLToPath(import.meta.url) === path.resolve(process.argv[1])) {
  const url = process.env.BERTH_DATABASE_URL ?? 'postgresql://berth:berth@127.0.0.1:5432/berth';
  migrate(url, (m) => console.log(m))
    .then((a) => console.log(a.length ? `${a.length} migration(s) applied` : 'database is up to date'))
    .catch((err) => {
      console.error(`migrate: ${(err as Error).message}`);
      process.exit(1);
    });
}
