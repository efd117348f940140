import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { readJson, startGateway, type InProcessGateway } from '../support/gateway';
import { createTestDatabase } from '../support/postgres';

for (const kind of ['embedded', 'postgres'] as const) {
  describe(`health and errors (${kind} database)`, () => {
    let gw: InProcessGateway;
    let drop: (() => Promise<void>) | undefined;
    before(async () => {
      const env: Record<string, string> = {};
      if (kind === 'postgres') {
        const db = await createTestDatabase();
        env.DATABASE_URL = db.url;
        drop = db.drop;
      }
      gw = await startGateway('general_settings:\n  master_key: sk-test-master-123\n', env);
    });
    after(async () => {
      await gw?.close();
      await drop?.();
    });

    it('answers liveliness, liveness and readiness without a credential', async () => {
      for (const path of ['/health/liveliness', '/health/liveness']) {
        const r = await fetch(gw.url + path);
        assert.equal(r.status, 200, path);
        assert.ok(r.headers.get('x-request-id'));
      }
      const ready = await fetch(gw.url + '/health/readiness');
      assert.equal(ready.status, 200);
      assert.equal((await readJson(ready)).database, kind);
    });

    it('answers unknown routes with a 404 in the OpenAI error shape', async () => {
      const r = await fetch(gw.url + '/no/such/route');
      assert.equal(r.status, 404);
      const body = await readJson(r);
      assert.deepEqual(Object.keys(body.error).sort(), ['code', 'message', 'param', 'type']);
      assert.equal(body.error.type, 'not_found_error');
    });

    it('answers malformed JSON with a 400 in the OpenAI error shape', async () => {
      const r = await fetch(gw.url + '/health/readiness', {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: '{bad',
      });
      assert.equal(r.status, 400);
      const body = await readJson(r);
      assert.equal(body.error.type, 'invalid_request_error');
      assert.doesNotMatch(JSON.stringify(body), /at .*\.js:\d+/);
    });
  });
}
