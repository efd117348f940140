#!/usr/bin/env node
// `npm start` on a fresh clone: build once if dist/ is missing or older than the sources.
'use strict';
const { existsSync, statSync, readdirSync } = require('node:fs');
const { join } = require('node:path');
const { execSync } = require('node:child_process');

const root = join(__dirname, '..');
const main = join(root, 'dist', 'main.js');

function newest(dir) {
  let t = 0;
  for (const e of readdirSync(dir, { withFileTypes: true })) {
    const p = join(dir, e.name);
    if (e.isDirectory()) t = Math.max(t, e.name === 'generated' ? 0 : newest(p));
    else if (e.name.endsWith('.ts')) t = Math.max(t, statSync(p).mtimeMs);
  }
  return t;
}

const schemaTime = statSync(join(root, 'prisma', 'schema.prisma')).mtimeMs;
if (!existsSync(main) || statSync(main).mtimeMs < Math.max(newest(join(root, 'src')), schemaTime)) {
  process.stderr.write('building the gateway (first start or sources changed)...\n');
  execSync('npm run build --silent', { cwd: root, stdio: ['ignore', 'ignore', 'inherit'] });
}
