import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { renderCompatibilityDoc } from '../../src/config/compatibility-doc';
import { LITELLM_SETTINGS } from '../../src/config/litellm-settings';
import { ROOT } from '../support/gateway';

describe('docs/compatibility.md', () => {
  it('is what `npm run docs:compat` writes from the settings table (run it after changing the table)', () => {
    const file = readFileSync(join(ROOT, 'docs', 'compatibility.md'), 'utf8');
    assert.equal(file, renderCompatibilityDoc(), 'docs/compatibility.md is stale: run npm run docs:compat');
  });

  it('lists every setting of the table with its status', () => {
    const doc = renderCompatibilityDoc();
    for (const s of Object.values(LITELLM_SETTINGS)) {
      for (const k of Object.keys(s.implemented)) assert.ok(doc.includes(`| \`${k}\` | implemented |`), k);
      for (const k of s.ignored) assert.ok(doc.includes(`| \`${k}\` | ignored |`), k);
    }
  });
});
