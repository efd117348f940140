#!/usr/bin/env node
// Runs `prisma generate` without network access. The Prisma 7 CLI insists on a native schema-engine binary
// being present even though `generate` never runs it; any existing file satisfies that check.
'use strict';
const { spawnSync } = require('node:child_process');
const path = require('node:path');

const cli = require.resolve('prisma/build/index.js');
const env = { ...process.env, PRISMA_HIDE_UPDATE_MESSAGE: '1', CHECKPOINT_DISABLE: '1' };
if (!env.PRISMA_SCHEMA_ENGINE_BINARY) env.PRISMA_SCHEMA_ENGINE_BINARY = process.execPath;
const res = spawnSync(process.execPath, [cli, 'generate'], {
  cwd: path.join(__dirname, '..'),
  env,
  stdio: ['ignore', 'pipe', 'inherit'],
});
if (res.status !== 0) {
  process.stdout.write(res.stdout || '');
  process.exit(res.status ?? 1);
}
