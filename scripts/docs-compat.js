#!/usr/bin/env node
// Writes docs/compatibility.md from the LiteLLM settings table (src/config/litellm-settings.ts), via the build.
'use strict';
const { writeFileSync } = require('node:fs');
const { join } = require('node:path');
const { renderCompatibilityDoc } = require('../dist/config/compatibility-doc');

const file = join(__dirname, '..', 'docs', 'compatibility.md');
writeFileSync(file, renderCompatibilityDoc());
console.log(`wrote ${file}`);
