// Prisma 7 CLI configuration. The CLI is used only for `prisma generate` here (see scripts/prisma-generate.js);
// migrations are authored and applied by the project's own offline tooling (scripts/db-migrations.js,
// src/database/migration-runner.ts), byte-compatible with `prisma migrate deploy`.
import { defineConfig } from 'prisma/config';

export default defineConfig({
  schema: 'prisma/schema.prisma',
  migrations: { path: 'prisma/migrations' },
});
