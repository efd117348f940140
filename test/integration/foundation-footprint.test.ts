import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { describe, it } from 'node:test';
import { readJson, startGateway } from '../support/gateway';
import { createTestDatabase } from '../support/postgres';

/** Packages of modules loaded in this process so far (node's test runner gives each test file its own process). */
function loadedPackages(): Set<string> {
  const found = new Set<string>();
  for (const file of Object.keys(require.cache)) {
    const m = /node_modules\/((?:@[^/]+\/)?[^/]+)\//.exec(file);
    if (m) found.add(m[1]);
  }
  return found;
}

const OPTIONAL = ['@electric-sql/pglite', '@electric-sql/pglite-socket', 'pglite-prisma-adapter', 'ioredis'];

/** This process's children running the embedded store (embedded-server.js), from /proc. */
function storeChildren(): number[] {
  const found: number[] = [];
  for (const name of readdirSync('/proc')) {
    if (!/^\d+$/.test(name)) continue;
    try {
      const stat = readFileSync(`/proc/${name}/stat`, 'utf8');
      const ppid = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
      if (ppid === process.pid && readFileSync(`/proc/${name}/cmdline`, 'utf8').includes('embedded-server.js'))
        found.push(Number(name));
    } catch {
      /* gone meanwhile */
    }
  }
  return found;
}

describe('memory footprint: optional stores are loaded only when used', () => {
  it('a gateway on PostgreSQL without REDIS_URL loads neither PGlite nor ioredis; the embedded store runs PGlite in a process of its own', async () => {
    const db = await createTestDatabase();
    const gw = await startGateway('general_settings:\n  master_key: sk-test-master-123\n', { DATABASE_URL: db.url });
    try {
      const ready = await fetch(`${gw.url}/health/readiness`);
      assert.equal(ready.status, 200);
      assert.equal((await readJson(ready)).database, 'postgres');
      // A key is created: a query through Prisma's query compiler.
      const key = await fetch(`${gw.url}/key/generate`, {
        method: 'POST',
        headers: { authorization: 'Bearer sk-test-master-123', 'content-type': 'application/json' },
        body: '{}',
      });
      assert.equal(key.status, 200);
      const loaded = loadedPackages();
      assert.ok(loaded.has('@prisma/client'), 'the check sees node_modules packages');
      for (const name of OPTIONAL) assert.ok(!loaded.has(name), `${name} was loaded by a gateway that does not use it`);
      // Prisma's query compiler was compiled (for the key), from its base64 file read as text: imported
      // as a module, the module cache would keep its 2.3 MB string for the life of the process.
      const files = Object.keys(require.cache);
      assert.ok(
        files.some((f) => f.endsWith('query_compiler_small_bg.postgresql.js')),
        'the query compiler is loaded',
      );
      assert.deepEqual(
        files.filter((f) => f.endsWith('.wasm-base64.js')),
        [],
        'no base64 module is kept in the module cache',
      );
      // undici's pool and errors come from their own files: its index (fetch, WebSocket, caches...) stays unloaded.
      assert.ok(
        files.some((f) => f.endsWith('undici/lib/dispatcher/pool.js')),
        'the upstream pool is loaded',
      );
      assert.ok(!files.some((f) => f.endsWith('node_modules/undici/index.js')), "undici's index was loaded");
    } finally {
      await gw.close();
      await db.drop();
    }

    const embedded = await startGateway('general_settings:\n  master_key: sk-test-master-123\n');
    try {
      assert.equal((await readJson(await fetch(`${embedded.url}/health/readiness`))).database, 'embedded');
      const key = await fetch(`${embedded.url}/key/generate`, {
        method: 'POST',
        headers: { authorization: 'Bearer sk-test-master-123', 'content-type': 'application/json' },
        body: '{}',
      });
      assert.equal(key.status, 200);
      // The store answered through its socket; PGlite itself was never loaded in the gateway's process.
      const loaded = loadedPackages();
      assert.ok(loaded.has('pg') && loaded.has('@prisma/adapter-pg'), 'the embedded store is reached through pg');
      for (const name of OPTIONAL) assert.ok(!loaded.has(name), `${name} was loaded in the gateway's process`);
      assert.equal(storeChildren().length, 1, 'one store process runs beside the gateway');
    } finally {
      await embedded.close();
    }
    assert.deepEqual(storeChildren(), [], 'the store process ended with the gateway');
  });
});
