#!/usr/bin/env node
// Builds the gateway when dist/ is missing or older than the sources (or prisma/schema.prisma).
// `npm start` runs it before `node dist/main.js`; `npm ci` runs it too (the `prepare` script, with --prepare), so a
// fresh clone starts at once. With --prepare it does nothing where the build tools are not installed
// (`npm ci --omit=dev`): such an install runs an existing dist/.
'use strict';
const { existsSync, statSync, readdirSync } = require('node:fs');
const { join } = require('node:path');
const { execSync } = require('node:child_process');

const root = join(__dirname, '..');
const main = join(root, 'dist', 'main.js');
const prepare = process.argv.includes('--prepare');

function newest(dir) {
  let t = 0;
  for (const e of readdirSync(dir, { withFileTypes: true })) {
    const p = join(dir, e.name);
    if (e.isDirectory()) t = Math.max(t, e.name === 'generated' ? 0 : newest(p));
    else if (e.name.endsWith('.ts')) t = Math.max(t, statSync(p).mtimeMs);
  }
  return t;
}

function hasBuildTools() {
  try {
    require.resolve('@nestjs/cli/package.json', { paths: [root] });
    require.resolve('prisma/package.json', { paths: [root] });
    return true;
  } catch {
    return false;
  }
}

const schemaTime = statSync(join(root, 'prisma', 'schema.prisma')).mtimeMs;
if (!existsSync(main) || statSync(main).mtimeMs < Math.max(newest(join(root, 'src')), schemaTime)) {
  if (prepare && !hasBuildTools()) process.exit(0);
  process.stderr.write('building the gateway (first start or sources changed)...\n');
  execSync('npm run build --silent', { cwd: root, stdio: ['ignore', 'ignore', 'inherit'] });
}
