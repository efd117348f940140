import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { freePort, readJson, startGateway, type InProcessGateway } from '../support/gateway';
import { chatCompletion, errorBody, startUpstream, type Answer, type FakeUpstream } from '../support/upstream';
import { generateKey } from '../support/management-api';

const MASTER = 'sk-test-master-key-router-1234';

/** Each deployment is told apart by its upstream model name; the upstream answers per name. */
const BEHAVIOUR: Record<string, Answer> = {
  'a-model': { json: chatCompletion('from a') },
  'b-model': { json: chatCompletion('from b') },
  'c-model': { json: errorBody('boom', 'server_error'), status: 500 },
  'd-model': { json: chatCompletion('from d') },
  'e-model': { json: chatCompletion('from e, too late'), delayMs: 3000 },
  'f-model': { json: chatCompletion('from f') },
  'g-model': { json: errorBody('down', 'server_error'), status: 500 },
  'h-model': { json: errorBody('down', 'server_error'), status: 503 },
  'i-model': { hang: true },
  'j-model': { hang: true },
  'p-model': { json: errorBody('primary down', 'server_error'), status: 502 },
  'q-model': { json: chatCompletion('from backup') },
  'sp-model': { json: errorBody('slow primary down', 'server_error'), status: 502, delayMs: 600 },
  'r-model': { json: errorBody('slow down', 'rate_limit_error'), status: 429, headers: { 'retry-after': '20' } },
  's-model': { json: chatCompletion('from s') },
  't-model': { reset: true },
  'u-model': { json: chatCompletion('from u') },
  'v-model': { json: chatCompletion('from v') },
  'w-model': { json: chatCompletion('from w') },
  'k-model': {
    json: errorBody('Incorrect API key provided: sk-up-k***cret.', 'invalid_request_error', 'invalid_api_key'),
    status: 401,
  },
  'l-model': { json: chatCompletion('from l') },
  'y-model': { json: errorBody('slow down', 'rate_limit_error'), status: 429, headers: { 'retry-after': '20' } },
};

describe('proxy router: shuffle, retries, cooldowns, timeouts, fallbacks, limits', () => {
  let up: FakeUpstream;
  let gw: InProcessGateway;

  before(async () => {
    up = await startUpstream((req) => BEHAVIOUR[req.body?.model] ?? { json: errorBody('unknown model'), status: 404 });
    const dead = `http://127.0.0.1:${await freePort()}`;
    const dep = (group: string, id: string, extra = '', base = up.url) => `
  - model_name: ${group}
    litellm_params: { model: openai/${id}-model, api_base: ${base}, api_key: sk-up-${id}-secret${extra} }
    model_info: { id: ${id} }`;
    gw = await startGateway(`
model_list:${dep('pair', 'a')}${dep('pair', 'b')}${dep('flaky', 'c', ', weight: 100')}${dep('flaky', 'd', ', weight: 1')}${dep('slow', 'e', ', timeout: 0.3, weight: 100')}${dep('slow', 'f', ', weight: 1')}${dep('down', 'g')}${dep('down', 'h')}${dep('hung', 'i', ', timeout: 0.3')}${dep('hung', 'j', ', timeout: 0.3')}${dep('primary', 'p')}${dep('backup', 'q')}${dep('limited', 'r', ', weight: 100')}${dep('limited', 's', ', weight: 1')}${dep('refused', 'x', ', weight: 100', dead)}${dep('refused', 'u', ', weight: 1')}${dep('reset', 't', ', weight: 100')}${dep('reset', 'v', ', weight: 1')}${dep('capped', 'w', ', rpm: 2')}${dep('throttled', 'y')}${dep('badkey', 'k', ', weight: 100')}${dep('badkey', 'l', ', weight: 1')}${dep('badkey-only', 'k')}${dep('slowprimary', 'sp')}
general_settings:
  master_key: ${MASTER}
router_settings:
  num_retries: 2
  allowed_fails: 2
  cooldown_time: 30
  fallbacks: [{ primary: [backup] }, { slowprimary: [backup] }]
`);
  });
  after(async () => {
    await gw?.close();
    await up?.close();
  });

  const chat = (model: string) =>
    fetch(`${gw.url}/v1/chat/completions`, {
      method: 'POST',
      headers: { authorization: `Bearer ${MASTER}`, 'content-type': 'application/json' },
      body: JSON.stringify({ model, messages: [{ role: 'user', content: 'hi' }] }),
    });
  const hits = (id: string) => up.requests.filter((r) => r.body?.model === `${id}-model`);

  it('spreads a group over both of its deployments', async () => {
    const served = new Set<string>();
    for (let i = 0; i < 30; i++) {
      const r = await chat('pair');
      assert.equal(r.status, 200);
      served.add(r.headers.get('x-litellm-model-id')!);
      await r.body?.cancel();
    }
    assert.deepEqual([...served].sort(), ['a', 'b']);
    assert.ok(hits('a').length > 0 && hits('b').length > 0);
  });

  it('retries a 500 on the other deployment, and cools the failing one down after allowed_fails', async () => {
    for (let i = 0; i < 12; i++) {
      const r = await chat('flaky');
      assert.equal(r.status, 200);
      assert.equal(r.headers.get('x-litellm-model-id'), 'd');
      assert.equal((await readJson(r)).choices[0].message.content, 'from d');
    }
    // c weighs 100 to d's 1: it is picked first until its 2 failures cool it down; then it gets nothing.
    assert.equal(hits('c').length, 2);
    assert.equal(hits('d').length, 12);
  });

  it('retries elsewhere when a deployment is slower than its timeout, and closes the slow request', async () => {
    for (let i = 0; i < 5 && hits('e').length === 0; i++) {
      const r = await chat('slow');
      assert.equal(r.status, 200);
      assert.equal(r.headers.get('x-litellm-model-id'), 'f');
      await r.body?.cancel();
    }
    assert.equal(hits('e').length, 1);
    const closed = await hits('e')[0].closed;
    assert.equal(closed.aborted, true, 'the timed-out upstream request was left open');
  });

  it('retries a 429, a refused connection and a reset connection on another deployment', async () => {
    for (const [group, bad, good] of [
      ['limited', 'r', 's'],
      ['refused', 'x', 'u'],
      ['reset', 't', 'v'],
    ]) {
      for (let i = 0; i < 5; i++) {
        const r = await chat(group);
        assert.equal(r.status, 200, group);
        assert.equal(r.headers.get('x-litellm-model-id'), good, group);
        await r.body?.cancel();
      }
      if (bad !== 'x') assert.ok(hits(bad).length >= 1, `${group}: ${bad} never tried`);
    }
    const warned = gw.logs.lines.filter((l) => l.includes('upstream attempt failed') && l.includes('"deployment":"x"'));
    assert.ok(
      warned.some((l) => l.includes('connection refused')),
      'refused deployment was never tried',
    );
  });

  it('answers 502 when every deployment fails, then fails fast while they cool down', async () => {
    const first = await chat('down');
    assert.equal(first.status, 502);
    const e1 = (await readJson(first)).error;
    assert.equal(e1.type, 'api_error');
    assert.equal(e1.code, 'upstream_error');
    assert.match(e1.message, /3 attempts for model 'down' failed/);
    assert.match(e1.message, /HTTP 50[03]/);
    assert.doesNotMatch(e1.message, /127\.0\.0\.1|sk-up/);
    assert.equal(hits('g').length + hits('h').length, 3, 'one try and num_retries=2 retries');
    const second = await chat('down');
    assert.equal(second.status, 502);
    await second.body?.cancel();
    const before = hits('g').length + hits('h').length;
    assert.equal(before, 4);
    const third = await chat('down');
    assert.equal(third.status, 502);
    assert.ok(Number(third.headers.get('retry-after')) >= 1);
    const e3 = (await readJson(third)).error;
    assert.equal(e3.code, 'no_deployments_available');
    assert.match(e3.message, /cooling down/);
    assert.equal(hits('g').length + hits('h').length, before, 'a cooled-down deployment was called');
  });

  it('answers 504 when every attempt times out', async () => {
    const r = await chat('hung');
    assert.equal(r.status, 504);
    const e = (await readJson(r)).error;
    assert.equal(e.type, 'timeout_error');
    assert.equal(e.code, 'upstream_timeout');
    assert.match(e.message, /timed out/);
    assert.equal(hits('i').length + hits('j').length, 3);
    for (const req of [...hits('i'), ...hits('j')]) assert.equal((await req.closed).aborted, true);
  });

  it("treats an upstream 401 as the deployment's fault: retried elsewhere, never passed to the caller as its own", async () => {
    for (let i = 0; i < 3; i++) {
      const r = await chat('badkey');
      assert.equal(r.status, 200);
      assert.equal(r.headers.get('x-litellm-model-id'), 'l');
      await r.body?.cancel();
    }
    const only = await chat('badkey-only');
    assert.equal(only.status, 502);
    const text = await only.text();
    assert.match(text, /refused the deployment's credentials/);
    assert.doesNotMatch(text, /Incorrect API key|sk-up/);
  });

  it("answers 429 with the upstream's retry-after when every attempt was rate limited", async () => {
    const r = await chat('throttled');
    assert.equal(r.status, 429);
    assert.equal(r.headers.get('retry-after'), '20');
    const e = (await readJson(r)).error;
    assert.equal(e.type, 'rate_limit_error');
    assert.equal(e.code, 'upstream_rate_limited');
    assert.equal(hits('y').length, 2, 'retried on the same deployment until it cooled down (allowed_fails 2)');
  });

  it('moves to the fallback group when a group is exhausted', async () => {
    const r = await chat('primary');
    assert.equal(r.status, 200);
    assert.equal(r.headers.get('x-litellm-model-id'), 'q');
    assert.equal((await readJson(r)).choices[0].message.content, 'from backup');
    assert.ok(hits('p').length >= 1);
    assert.equal(hits('q').length, 1);
  });

  it("skips a fallback group a virtual key may not call: the key's models bound its fallbacks too", async () => {
    const generate = async (models: string[]) => (await generateKey(gw.url, MASTER, { models })).key;
    const call = (key: string) =>
      fetch(`${gw.url}/v1/chat/completions`, {
        method: 'POST',
        headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json' },
        body: JSON.stringify({ model: 'primary', messages: [{ role: 'user', content: 'hi' }] }),
      });
    const backupBefore = hits('q').length;
    const narrow = await call(await generate(['primary']));
    const body = await readJson(narrow);
    assert.ok(
      narrow.status >= 500,
      `the primary's failure, not an answer from backup: ${narrow.status} ${JSON.stringify(body)}`,
    );
    assert.equal(body.error.message.includes('backup'), false, 'the skipped group is not named');
    assert.equal(hits('q').length, backupBefore, 'backup never called for a key without it');
    // Control: a key that may use both falls back as before.
    const wide = await call(await generate(['primary', 'backup']));
    assert.equal(wide.status, 200);
    assert.equal(wide.headers.get('x-litellm-model-id'), 'q');
    assert.equal(hits('q').length, backupBefore + 1);
  });

  it("a call's fallbacks follow the key's models as admitted, even if the key changes or goes while it runs", async () => {
    const r = await fetch(`${gw.url}/key/generate`, {
      method: 'POST',
      headers: { authorization: `Bearer ${MASTER}`, 'content-type': 'application/json' },
      body: '{}',
    });
    const key = (await readJson(r)).key as string;
    const call = fetch(`${gw.url}/v1/chat/completions`, {
      method: 'POST',
      headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json' },
      body: JSON.stringify({ model: 'slowprimary', messages: [{ role: 'user', content: 'hi' }] }),
    });
    await new Promise((done) => setTimeout(done, 200)); // the primary attempt is running
    const deleted = await fetch(`${gw.url}/key/delete`, {
      method: 'POST',
      headers: { authorization: `Bearer ${MASTER}`, 'content-type': 'application/json' },
      body: JSON.stringify({ keys: [key] }),
    });
    assert.equal(deleted.status, 200);
    const answer = await call;
    assert.equal(answer.status, 200, 'an admitted call with an unrestricted key still falls back');
    assert.equal(answer.headers.get('x-litellm-model-id'), 'q');
  });

  it("respects a deployment's rpm: the call over it is refused with 429 and never sent", async () => {
    // rpm is counted per clock minute: start well inside one.
    const leftMs = 60_000 - (Date.now() % 60_000);
    if (leftMs < 3_000) await new Promise((r) => setTimeout(r, leftMs + 50));
    const statuses: number[] = [];
    let last: Response | undefined;
    for (let i = 0; i < 3; i++) {
      last = await chat('capped');
      statuses.push(last.status);
      if (i < 2) await last.body?.cancel();
    }
    assert.deepEqual(statuses, [200, 200, 429]);
    assert.equal(hits('w').length, 2);
    const e = (await readJson(last!)).error;
    assert.equal(e.type, 'rate_limit_error');
    assert.equal(e.code, 'deployment_rate_limited');
    assert.ok(Number(last!.headers.get('retry-after')) >= 1);
  });
});
