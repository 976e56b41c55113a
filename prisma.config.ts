// Prisma CLI configuration: where the schema and migrations live and which
// database `prisma` commands talk to (BERTH_DATABASE_URL).
import { defineConfig } from 'prisma/config';

export default defineConfig({
  schema: 'prisma/schema.prisma',
  migrations: { path: 'prisma/migrations' },
  datasource: { url: process.env.BERTH_DATABASE_URL ?? 'postgresql://berth:berth@127.0.0.1:5432/berth' },
});
