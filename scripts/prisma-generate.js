#!/usr/bin/env node
// Runs `prisma generate` without network access. The Prisma 7 CLI insists on a native schema-engine binary
// being present even though `generate` never runs it; any existing file satisfies that check.
// Then the generated client is made to read its query compiler's WebAssembly from the base64 file when it compiles
// it, instead of importing that file as a module: the module cache would keep its large base64 string on the heap
// for the life of the process, though the compiled module is all the client uses afterwards.
'use strict';
const { spawnSync } = require('node:child_process');
const { readFileSync, writeFileSync } = require('node:fs');
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

const CLASS_FILE = path.join(__dirname, '..', 'src', 'generated', 'prisma', 'internal', 'class.ts');
const IMPORT =
  /const \{ wasm \} = await import\(("[^"]+\.wasm-base64\.js")\)\n(\s*)return await decodeBase64AsWasm\(wasm\)/;
const source = readFileSync(CLASS_FILE, 'utf8');
const m = IMPORT.exec(source);
if (!m) {
  console.error(
    `prisma-generate: ${CLASS_FILE} no longer imports its query compiler as expected; update scripts/prisma-generate.js`,
  );
  process.exit(1);
}
const [, file, indent] = m;
// The file is `const wasm = "<base64>";` plus an export line: the text between its first and last double quote.
const read = [
  `// Read, not imported (scripts/prisma-generate.js): an imported module would keep the base64 text alive.`,
  `const text = await (await import('node:fs/promises')).readFile(require.resolve(${file}), 'latin1')`,
  `return await decodeBase64AsWasm(text.slice(text.indexOf('"') + 1, text.lastIndexOf('"')))`,
].join(`\n${indent}`);
writeFileSync(
  CLASS_FILE,
  source.replace(IMPORT, () => read),
);
