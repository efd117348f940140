#!/usr/bin/env node
// Builds the admin UI (ui/) into dist/ui: one minified ES module bundle (Preact + htm), the stylesheet and the
// page. Run by `npm run build` (postbuild), so whatever builds the gateway builds the UI too.
'use strict';
const { copyFileSync, mkdirSync, statSync } = require('node:fs');
const { join } = require('node:path');
const esbuild = require('esbuild');

const root = join(__dirname, '..');
const out = join(root, 'dist', 'ui');
mkdirSync(out, { recursive: true });
esbuild.buildSync({
  entryPoints: [join(root, 'ui', 'src', 'main.js')],
  bundle: true,
  minify: true,
  format: 'esm',
  target: 'es2020',
  outfile: join(out, 'app.js'),
  legalComments: 'none',
  logLevel: 'warning',
});
for (const f of ['index.html', 'app.css']) copyFileSync(join(root, 'ui', f), join(out, f));
const kb = (f) => (statSync(join(out, f)).size / 1024).toFixed(1);
console.log(`admin UI: dist/ui/app.js ${kb('app.js')} KB, app.css ${kb('app.css')} KB`);
