import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { readJson, type InProcessGateway } from '../support/gateway';
import { startProxy, type ProxySetup } from '../support/proxy-setup';

for (const kind of ['embedded', 'postgres'] as const) {
  describe(`health and errors (${kind} database)`, () => {
    let gw: InProcessGateway;
    let setup: ProxySetup | undefined;
    before(async () => {
      setup = await startProxy({
        ...(kind === 'postgres' ? { database: 'gw_test' } : {}),
        apiKey: 'sk-test-master-123',
        yaml: 'general_settings:\n  master_key: sk-test-master-123\n',
      });
      ({ gw } = setup);
    });
    after(() => setup?.close());

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
