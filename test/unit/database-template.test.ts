import assert from 'node:assert/strict';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { PGlite } from '@electric-sql/pglite';
import { clusterTemplateFile } from '../../src/database/embedded-template';
import { tempDir } from '../support/gateway';

/** The build's empty-cluster template (scripts/pglite-template.js, run by `npm run build`), used for new data folders. */
describe('embedded store: cluster template', () => {
  it('is offered for a folder without a cluster, and loads into a working database there', async () => {
    const dir = join(tempDir('gw-tpl-'), 'data');
    mkdirSync(dir);
    writeFileSync(join(dir, 'gateway.lock'), String(process.pid)); // as the lock leaves it
    const template = clusterTemplateFile(dir);
    assert.ok(template, 'the build wrote no template matching the installed PGlite');
    const pg = await PGlite.create(dir, { loadDataDir: new Blob([readFileSync(template)]) });
    try {
      assert.deepEqual((await pg.query<{ n: number }>('SELECT 41 + 1 AS n')).rows, [{ n: 42 }]);
    } finally {
      await pg.close();
    }
    assert.equal(clusterTemplateFile(dir), undefined, 'a folder holding a cluster must never be overwritten');
  });

  it('is not offered for a folder that already holds a cluster', () => {
    const dir = tempDir('gw-tpl-');
    writeFileSync(join(dir, 'PG_VERSION'), '17\n');
    assert.equal(clusterTemplateFile(dir), undefined);
  });
});
