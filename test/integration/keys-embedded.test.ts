import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { Caller } from '../../src/auth/caller';
import { CALL_ACCOUNTING, type CallAccounting } from '../../src/proxy/call-accounting';
import { SpendWriter } from '../../src/keys/spend/spend-writer.service';
import { readJson, startGateway, type InProcessGateway } from '../support/gateway';

const MASTER = 'sk-master-keys-embedded-001';

describe('keys: on the embedded store (no DATABASE_URL)', () => {
  let gw: InProcessGateway;
  async function api(method: string, path: string, body?: unknown, token = MASTER) {
    const res = await fetch(gw.url + path, {
      method,
      headers: {
        authorization: `Bearer ${token}`,
        ...(body !== undefined ? { 'content-type': 'application/json' } : {}),
      },
      body: body !== undefined ? JSON.stringify(body) : undefined,
    });
    return { status: res.status, body: await readJson(res) };
  }

  before(async () => {
    gw = await startGateway(`general_settings:\n  master_key: ${MASTER}\n`);
  });
  after(() => gw?.close());

  it('generates, enforces, records spend per key and team, regenerates, lists and deletes', async () => {
    const g = await api('POST', '/key/generate', { team_id: 'emb-team', max_budget: 1, key_alias: 'emb' });
    assert.equal(g.status, 200, JSON.stringify(g.body));
    const accounting = gw.app.get<CallAccounting>(CALL_ACCOUNTING);
    const caller: Caller = {
      role: 'virtual_key',
      via: 'virtual_key',
      token: g.body.token,
      teamId: 'emb-team',
      scopes: [],
    };
    for (let i = 0; i < 3; i++)
      (await accounting.admit(caller, 'm')).done({
        modelGroup: 'm',
        deploymentId: 'd',
        promptTokens: 1,
        completionTokens: 1,
        cost: 0.3,
        latencyMs: 1,
        ok: true,
      });
    await gw.app.get(SpendWriter).flush();
    const info = await api('GET', `/key/info?key=${g.body.token}`);
    assert.ok(Math.abs(info.body.info.spend - 0.9) < 1e-9);
    (await accounting.admit(caller, 'm')).done({
      modelGroup: 'm',
      deploymentId: 'd',
      promptTokens: 1,
      completionTokens: 1,
      cost: 0.3,
      latencyMs: 1,
      ok: true,
    });
    await assert.rejects(async () => accounting.admit(caller, 'm'), { status: 400, code: 'budget_exceeded' });

    const r = await api('POST', '/key/regenerate', { key: g.body.key });
    assert.equal(r.status, 200);
    assert.equal((await api('GET', '/key/info', undefined, g.body.key)).status, 401);
    assert.equal((await api('GET', '/key/info', undefined, r.body.key)).status, 200);
    await gw.app.get(SpendWriter).flush();
    assert.ok(Math.abs((await api('GET', `/key/info?key=${r.body.token}`)).body.info.spend - 1.2) < 1e-9);
    const list = await api('GET', '/key/list?team_id=emb-team');
    assert.deepEqual(list.body.keys, [r.body.token]);
    assert.deepEqual((await api('POST', '/key/delete', { key_aliases: ['emb'] })).body.deleted_keys, [r.body.token]);
    assert.equal((await api('GET', '/key/info', undefined, r.body.key)).status, 401);
  });
});

describe('keys: general_settings.proxy_batch_write_at', () => {
  let gw: InProcessGateway;
  before(async () => {
    gw = await startGateway(`general_settings:\n  master_key: ${MASTER}\n  proxy_batch_write_at: 3600\n`);
  });
  after(() => gw?.close());

  it('sets how often spend is written: with an hour, the spend of a call is still pending seconds later (the default writes it within one)', async () => {
    const res = await fetch(`${gw.url}/key/generate`, {
      method: 'POST',
      headers: { authorization: `Bearer ${MASTER}`, 'content-type': 'application/json' },
      body: '{}',
    });
    const key = await readJson(res);
    assert.equal(res.status, 200, JSON.stringify(key));
    const spend = gw.app.get(SpendWriter);
    const caller: Caller = { role: 'virtual_key', via: 'virtual_key', token: key.token, scopes: [] };
    (await gw.app.get<CallAccounting>(CALL_ACCOUNTING).admit(caller, 'm')).done({
      modelGroup: 'm',
      deploymentId: 'd',
      promptTokens: 1,
      completionTokens: 1,
      cost: 0.5,
      latencyMs: 1,
      ok: true,
    });
    await new Promise((r) => setTimeout(r, 2500));
    assert.equal(spend.hasPending, true, 'written before the configured interval');
    assert.equal(spend.unflushed(key.token), 0.5);
    await spend.flush();
    assert.equal(spend.hasPending, false);
  });
});
