import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { cpSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { applyMigrations, readMigrations } from '../../src/database/migration-runner';
import { ROOT, tempDir } from '../support/gateway';
import { PGlite } from '@electric-sql/pglite';

/** Runs scripts/db-migrations.js (what `npm run db:new` / `db:check` run) against a schema and migrations folder. */
function tool(args: string[]): Promise<{ code: number | null; out: string }> {
  return new Promise((done) => {
    execFile(
      process.execPath,
      [join(ROOT, 'scripts', 'db-migrations.js'), ...args],
      { cwd: ROOT, timeout: 120_000 },
      (err, stdout, stderr) =>
        done({ code: err ? ((err as { code?: number }).code ?? null) : 0, out: `${stdout}${stderr}` }),
    );
  });
}

/** The migration folders in `dir`, in the order they apply. */
function migrationDirs(dir: string): string[] {
  return readdirSync(dir)
    .filter((d) => d !== 'migration_lock.toml')
    .sort();
}

/** A temp copy of prisma/ (schema + migrations) that a test may change freely. */
function copyPrisma(): { schema: string; migrations: string } {
  const dir = join(tempDir('gw-prisma-'), 'prisma');
  cpSync(join(ROOT, 'prisma'), dir, { recursive: true });
  return { schema: join(dir, 'schema.prisma'), migrations: join(dir, 'migrations') };
}

// Each engine run starts an in-memory PostgreSQL (PGlite): the independent cases run side by side.
describe('migration tooling (db:new, db:check)', { concurrency: 4 }, () => {
  it('db:check passes on the repository: the migrations produce exactly schema.prisma', async () => {
    const r = await tool(['check']);
    assert.equal(r.code, 0, r.out);
    assert.match(r.out, /match schema\.prisma/);
  });

  it('db:check fails with exit 2 and the missing SQL when schema.prisma changes without a migration; db:new fixes it', async () => {
    const p = copyPrisma();
    const schema = readFileSync(p.schema, 'utf8').replace(
      '  blocked             Boolean',
      '  nickname            String?\n  blocked             Boolean',
    );
    assert.match(schema, /nickname/);
    writeFileSync(p.schema, schema);

    const drift = await tool(['check', '--schema', p.schema, '--migrations', p.migrations]);
    assert.equal(drift.code, 2, drift.out);
    assert.match(drift.out, /has changes that no migration .* covers/);
    assert.match(drift.out, /ALTER TABLE "virtual_keys" ADD COLUMN\s+"nickname" TEXT/);

    const existing = migrationDirs(p.migrations);
    const created = await tool(['new', 'add_nickname', '--schema', p.schema, '--migrations', p.migrations]);
    assert.equal(created.code, 0, created.out);
    const dirs = migrationDirs(p.migrations);
    assert.equal(dirs.length, existing.length + 1);
    const added = dirs.at(-1)!;
    assert.match(added, /^\d{14}_add_nickname$/);
    assert.deepEqual(dirs.slice(0, -1), existing, 'the new migration sorts after the existing ones');
    assert.match(readFileSync(join(p.migrations, added, 'migration.sql'), 'utf8'), /ADD COLUMN\s+"nickname" TEXT/);

    const clean = await tool(['check', '--schema', p.schema, '--migrations', p.migrations]);
    assert.equal(clean.code, 0, clean.out);

    // The authored migration is applied by the gateway's own runner, after the init migration.
    const pg = new PGlite();
    try {
      const exec = {
        query: async (s: string, params?: unknown[]) => (await pg.query<never>(s, params)).rows,
        exec: async (s: string) => void (await pg.exec(s)),
      };
      const applied = await applyMigrations(exec, readMigrations(p.migrations));
      assert.deepEqual(applied, dirs);
      const cols = await pg.query<{ column_name: string }>(
        "SELECT column_name FROM information_schema.columns WHERE table_name = 'virtual_keys' AND column_name = 'nickname'",
      );
      assert.equal(cols.rows.length, 1);
    } finally {
      await pg.close();
    }
  });

  it('upgrading to key_blocked_by: keys blocked before it count as blocked by an admin', async () => {
    const all = readMigrations();
    const at = all.findIndex((m) => m.name.endsWith('_key_blocked_by'));
    assert.ok(at > 0);
    const pg = new PGlite();
    try {
      const exec = {
        query: async (s: string, params?: unknown[]) => (await pg.query<never>(s, params)).rows,
        exec: async (s: string) => void (await pg.exec(s)),
      };
      await applyMigrations(exec, all.slice(0, at));
      await pg.exec(
        `INSERT INTO virtual_keys (token, key_name, created_by, blocked, updated_at) VALUES ('t-blocked', 'sk-...aaaa', 'master_key', true, now()), ('t-open', 'sk-...bbbb', 'master_key', false, now())`,
      );
      assert.deepEqual(
        await applyMigrations(exec, all),
        all.slice(at).map((m) => m.name),
      );
      const rows = await pg.query<{ token: string; blocked_by: string | null }>(
        'SELECT token, blocked_by FROM virtual_keys ORDER BY token',
      );
      assert.deepEqual(rows.rows, [
        { token: 't-blocked', blocked_by: 'admin' },
        { token: 't-open', blocked_by: null },
      ]);
    } finally {
      await pg.close();
    }
  });

  it('db:new writes nothing when there is nothing to migrate, and refuses a bad name', async () => {
    const p = copyPrisma();
    const before = readdirSync(p.migrations).length;
    const none = await tool(['new', 'nothing_here', '--schema', p.schema, '--migrations', p.migrations]);
    assert.equal(none.code, 0, none.out);
    assert.match(none.out, /nothing written/);
    assert.equal(readdirSync(p.migrations).length, before);
    const bad = await tool(['new', 'Bad Name!', '--schema', p.schema, '--migrations', p.migrations]);
    assert.equal(bad.code, 1);
    assert.match(bad.out, /usage: npm run db:new/);
  });

  it('db:check fails (exit 1, clear message) when a migration does not apply', async () => {
    const p = copyPrisma();
    const dir = join(p.migrations, '20991231000000_broken');
    cpSync(
      join(
        p.migrations,
        readdirSync(p.migrations).find((d) => d.endsWith('_init'))!,
      ),
      dir,
      { recursive: true },
    );
    writeFileSync(join(dir, 'migration.sql'), 'ALTER TABLE "no_such_table" ADD COLUMN "x" TEXT;\n');
    const r = await tool(['check', '--schema', p.schema, '--migrations', p.migrations]);
    assert.equal(r.code, 1, r.out);
    assert.match(r.out, /db-migrations failed: migration 20991231000000_broken: .*No such table: no_such_table/);
    assert.doesNotMatch(r.out, /\n\s+at /, 'no stack trace');
  });
});
