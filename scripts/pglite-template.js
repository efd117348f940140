#!/usr/bin/env node
// Runs after `nest build` (postbuild): writes dist/pglite-template.tar.gz, an empty PGlite cluster (initdb done, no
// migrations), and beside it the PGlite version that made it. A fresh embedded store then starts from a copy of it
// instead of running initdb in WebAssembly, which is several times slower, far more on a busy core. The gateway uses
// it only when the installed PGlite is the same version, and falls back to initdb otherwise.
'use strict';
const { readFileSync, writeFileSync } = require('node:fs');
const { join } = require('node:path');

const root = join(__dirname, '..');
const dist = join(root, 'dist');

async function main() {
  const { PGlite } = await import('@electric-sql/pglite');
  const version = JSON.parse(
    readFileSync(join(root, 'node_modules', '@electric-sql', 'pglite', 'package.json'), 'utf8'),
  ).version;
  const pg = await PGlite.create();
  const dump = await pg.dumpDataDir('gzip');
  await pg.close();
  writeFileSync(join(dist, 'pglite-template.tar.gz'), Buffer.from(await dump.arrayBuffer()));
  writeFileSync(join(dist, 'pglite-template.version'), `${version}\n`);
}

main().catch((err) => {
  // Not fatal: without a template the embedded store runs initdb itself.
  process.stderr.write(
    `pglite template not written (${err instanceof Error ? err.message : String(err)}); the embedded store will run initdb\n`,
  );
});
