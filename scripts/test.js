#!/usr/bin/env node
// The test command (README, CI): builds the gateway (e2e tests run the production build as a process),
// compiles the tests with decorator metadata, then runs them with node's own test runner.
// `npm test` runs everything; `npm test -- unit` (or integration, e2e, or a file path part) runs a subset.
// Unit tests only (every filter names `unit`) need the test compile, not the build: only what the compile and those
// tests read from it is made, when missing (the Prisma client, the embedded store's cluster template).
'use strict';
const { execSync, spawnSync } = require('node:child_process');
const { existsSync, mkdirSync, readdirSync, readFileSync, statSync } = require('node:fs');
const { join, relative } = require('node:path');

const root = join(__dirname, '..');
const filters = process.argv.slice(2);
const run = (cmd) => {
  try {
    execSync(cmd, { cwd: root, stdio: 'inherit' });
  } catch (err) {
    console.error(`\n${cmd} failed (exit ${err.status})`);
    process.exit(err.status || 1);
  }
};

const unitOnly = filters.length > 0 && filters.every((x) => x.includes('unit'));
if (unitOnly) {
  if (!clientCurrent()) run('npm run prisma:generate --silent');
  if (!templateCurrent()) {
    mkdirSync(join(root, 'dist'), { recursive: true });
    run('node scripts/pglite-template.js');
  }
} else run('npm run build --silent');
run('npx tsc -p tsconfig.test.json');

/** Whether the generated Prisma client exists and is newer than the schema. */
function clientCurrent() {
  const client = join(root, 'src', 'generated', 'prisma', 'client.ts');
  return existsSync(client) && statSync(client).mtimeMs >= statSync(join(root, 'prisma', 'schema.prisma')).mtimeMs;
}

/** Whether dist holds the cluster template for the installed PGlite (scripts/pglite-template.js). */
function templateCurrent() {
  try {
    const pkg = join(root, 'node_modules', '@electric-sql', 'pglite', 'package.json');
    const { version } = JSON.parse(readFileSync(pkg, 'utf8'));
    return readFileSync(join(root, 'dist', 'pglite-template.version'), 'utf8').trim() === version;
  } catch {
    return false;
  }
}

function list(dir) {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) =>
    e.isDirectory() ? list(join(dir, e.name)) : e.name.endsWith('.test.js') ? [join(dir, e.name)] : [],
  );
}
const files = list(join(root, 'dist-test', 'test'))
  .map((f) => relative(root, f))
  .filter((f) => filters.length === 0 || filters.some((x) => f.includes(x)))
  .sort();
if (files.length === 0) {
  console.error(`no test files match ${filters.join(' ')}`);
  process.exit(1);
}
const res = spawnSync(
  process.execPath,
  ['--enable-source-maps', '--test', '--test-concurrency=2', '--test-timeout=180000', '--test-reporter=spec', ...files],
  { cwd: root, stdio: 'inherit', env: { ...process.env, NODE_ENV: 'test' } },
);
process.exit(res.status ?? 1);
