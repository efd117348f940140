import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import OpenAI from 'openai';
import { readJson, type InProcessGateway } from '../support/gateway';
import { waitFor } from '../support/faults';
import { sql, type TestDatabase } from '../support/postgres';
import { startProxy, type ProxyOnDatabase } from '../support/proxy-setup';
import { chatChunks, chatCompletion, errorBody, type FakeUpstream } from '../support/upstream';

/**
 * Spend logs end to end on PostgreSQL: real calls through the official client, rows read back through the API and
 * from the table, each field checked against the call; filters, paging, team scope, the report's sums, and no
 * prompt or answer text anywhere in the database.
 */
const MASTER = 'sk-spend-logs-master-0001';
const IN = 0.000002;
const OUT = 0.000005;
const PROMPT_MARK = 'PROMPT-MARK-7d1f3b';
const ANSWER_MARK = 'ANSWER-MARK-9c2e4a';
const sha = (s: string) => createHash('sha256').update(s).digest('hex');
const close = (a: number, b: number) => Math.abs(a - b) < 1e-12;

describe('spend logs: a row per authenticated model call, read back by API and SQL', () => {
  let db: TestDatabase;
  let up: FakeUpstream;
  let gw: InProcessGateway;
  let setup: ProxyOnDatabase | undefined;
  const keys: Record<string, { key: string; token: string }> = {};

  const admin = (path: string) => fetch(`${gw.url}${path}`, { headers: { authorization: `Bearer ${MASTER}` } });
  const rowsOf = (requestId: string) => sql<any>(db.url, 'SELECT * FROM spend_logs WHERE request_id = $1', [requestId]);
  const rowArrives = async (requestId: string) => {
    await waitFor(async () => (await rowsOf(requestId)).length > 0, `spend log row ${requestId}`);
    const rows = await rowsOf(requestId);
    assert.equal(rows.length, 1, 'exactly one row per call');
    return rows[0];
  };
  const clientOf = (apiKey: string, requestId: string) =>
    new OpenAI({
      apiKey,
      baseURL: `${gw.url}/v1`,
      maxRetries: 0,
      defaultHeaders: { 'x-request-id': requestId },
    });
  const messages = [{ role: 'user' as const, content: `tell me ${PROMPT_MARK}` }];

  before(async () => {
    setup = await startProxy({
      database: 'gw_spend_logs',
      apiKey: MASTER,
      yaml: (upstream) => `
model_list:
  - model_name: priced
    litellm_params: { model: openai/priced-up, api_base: ${upstream}/v1?token=not-shown, api_key: sk-upstream-spend }
    model_info: { id: priced-1, input_cost_per_token: ${IN}, output_cost_per_token: ${OUT} }
general_settings:
  master_key: ${MASTER}
  proxy_batch_write_at: 0.1
router_settings: { num_retries: 0, allowed_fails: 1000 }
`,
    });
    ({ db, up, gw } = setup);
    const make = async (name: string, body: object) => {
      const res = await fetch(`${gw.url}/key/generate`, {
        method: 'POST',
        headers: { authorization: `Bearer ${MASTER}`, 'content-type': 'application/json' },
        body: JSON.stringify(body),
      });
      assert.equal(res.status, 200);
      keys[name] = await readJson(res);
    };
    await make('a', {
      key_alias: 'alias-a',
      team_id: 'team-a',
      user_id: 'user-a',
      metadata: { tags: ['key-tag'] },
      allowed_routes: ['openai_routes', 'spend_tracking_routes'],
    });
    await make('b', { key_alias: 'alias-b', team_id: 'team-b', user_id: 'user-b' });
    await make('solo', { key_alias: 'alias-solo', allowed_routes: ['openai_routes', 'spend_tracking_routes'] });
    await make('tagged', { key_alias: 'alias-tagged', tags: ['own-tag'] });
  });
  after(() => setup?.close());

  it('writes a JSON call with every field taken from the call', async () => {
    up.respondWith({ json: chatCompletion(`${ANSWER_MARK} reply`, { prompt_tokens: 13, completion_tokens: 8 }) });
    const before = Date.now();
    await clientOf(keys.a.key, 'req-json-1').chat.completions.create({
      model: 'priced',
      messages,
      user: 'customer-1',
      metadata: { tags: ['job:42'] },
    } as any);
    const after = Date.now();
    const r = await rowArrives('req-json-1');
    assert.equal(r.call_type, 'acompletion');
    assert.equal(r.api_key, keys.a.token);
    assert.equal(r.api_key, sha(keys.a.key));
    assert.equal(r.key_alias, 'alias-a');
    assert.equal(r.team_id, 'team-a');
    assert.equal(r.user, 'user-a');
    assert.equal(r.end_user, 'customer-1');
    assert.equal(r.model, 'priced');
    assert.equal(r.model_id, 'priced-1');
    assert.equal(r.api_base, `${up.url}/v1`, 'no query string (it may hold a credential)');
    assert.equal(r.prompt_tokens, 13);
    assert.equal(r.completion_tokens, 8);
    assert.equal(r.total_tokens, 21);
    assert.ok(close(r.spend, 13 * IN + 8 * OUT));
    assert.ok(r.start_time.getTime() >= before - 1 && r.end_time.getTime() <= after + 1);
    assert.ok(r.start_time <= r.end_time);
    assert.equal(r.completion_start_time.getTime(), r.end_time.getTime(), 'a JSON answer starts when it ends');
    assert.equal(r.status, 'success');
    assert.equal(r.status_code, 200);
    assert.deepEqual([...r.request_tags].sort(), ['job:42', 'key-tag']);

    const res = await admin('/spend/logs?request_id=req-json-1');
    assert.equal(res.status, 200);
    const [a] = await readJson(res);
    assert.equal(a.request_id, 'req-json-1');
    assert.equal(a.api_key, keys.a.token);
    assert.equal(a.spend, r.spend);
    assert.equal(a.total_tokens, 21);
    assert.equal(a.startTime, r.start_time.toISOString());
    assert.equal(a.end_user, 'customer-1');
    assert.equal(a.metadata.user_api_key_team_id, 'team-a');
  });

  it('writes a streamed call: usage of the final chunk, first-byte time between start and end', async () => {
    up.respondWith({
      sse: chatChunks(['a', ANSWER_MARK, 'c'], { prompt_tokens: 21, completion_tokens: 4 }),
      delayMs: 30,
    });
    const stream = await clientOf(keys.b.key, 'req-stream-1').chat.completions.create({
      model: 'priced',
      messages,
      stream: true,
    });
    for await (const _ of stream) void _;
    const r = await rowArrives('req-stream-1');
    assert.equal(r.api_key, keys.b.token);
    assert.equal(r.team_id, 'team-b');
    assert.equal(r.end_user, null);
    assert.equal(r.prompt_tokens, 21);
    assert.equal(r.completion_tokens, 4);
    assert.ok(close(r.spend, 21 * IN + 4 * OUT));
    assert.ok(r.completion_start_time > r.start_time && r.completion_start_time < r.end_time);
    assert.equal(r.status, 'success');
    assert.deepEqual(r.request_tags, []);
  });

  it('writes failed calls: upstream error, unknown model, bad body', async () => {
    up.respondWith({ json: errorBody('upstream broke', 'server_error'), status: 500 });
    const c = clientOf(keys.a.key, 'req-fail-1');
    await assert.rejects(c.chat.completions.create({ model: 'priced', messages }));
    const f = await rowArrives('req-fail-1');
    assert.equal(f.status, 'failure');
    assert.ok(f.status_code >= 500, `status ${f.status_code}`);
    assert.equal(f.model, 'priced');
    assert.equal(f.spend, 0);
    assert.equal(f.total_tokens, 0);
    assert.equal(f.completion_start_time, null);

    await assert.rejects(clientOf(keys.a.key, 'req-fail-2').chat.completions.create({ model: 'nope', messages }));
    const n = await rowArrives('req-fail-2');
    assert.equal(n.status_code, 404);
    assert.equal(n.model, 'nope');
    assert.equal(n.model_id, null);

    const bad = await fetch(`${gw.url}/v1/chat/completions`, {
      method: 'POST',
      headers: {
        authorization: `Bearer ${keys.a.key}`,
        'content-type': 'application/json',
        'x-request-id': 'req-fail-3',
      },
      body: JSON.stringify({ model: 'priced', messages: 'not a list' }),
    });
    assert.equal(bad.status, 400);
    assert.equal((await rowArrives('req-fail-3')).status_code, 400);
  });

  it('writes calls whose body is refused once the key was accepted: bad JSON, not UTF-8, empty, not JSON', async () => {
    const send = (key: string, id: string, body: string | Buffer, type: string, path = '/v1/chat/completions') =>
      fetch(`${gw.url}${path}`, {
        method: 'POST',
        headers: { authorization: `Bearer ${key}`, 'content-type': type, 'x-request-id': id },
        body,
      });
    const cases: [string, string | Buffer, string, number][] = [
      ['req-body-1', '{"model": "priced", ', 'application/json', 400],
      ['req-body-2', Buffer.from([0x7b, 0x22, 0xff, 0x22, 0x7d]), 'application/json', 400],
      ['req-body-3', '', 'application/json', 400],
      ['req-body-4', 'model=priced', 'application/x-www-form-urlencoded', 415],
    ];
    // No row for a caller that was not accepted, whatever its body.
    assert.equal((await send('sk-not-a-key', 'req-body-0', '{', 'application/json')).status, 401);
    for (const [id, body, type, status] of cases) {
      const res = await send(keys.b.key, id, body, type);
      assert.equal(res.status, status, id);
      assert.equal(res.headers.get('x-request-id'), id);
      const r = await rowArrives(id);
      assert.equal(r.status, 'failure', id);
      assert.equal(r.status_code, status, id);
      assert.equal(r.call_type, 'acompletion', id);
      assert.deepEqual([r.api_key, r.team_id, r.user], [keys.b.token, 'team-b', 'user-b'], id);
      assert.deepEqual([r.spend, r.total_tokens, r.model_id], [0, 0, null], id);
    }
    // The Azure form names the model group in its path; embeddings are theirs.
    await send(keys.b.key, 'req-body-5', '{', 'application/json', '/openai/deployments/priced/embeddings');
    const az = await rowArrives('req-body-5');
    assert.deepEqual([az.call_type, az.model, az.status_code], ['aembedding', 'priced', 400]);
    assert.deepEqual(await rowsOf('req-body-0'), []);
  });

  it("records the key's tags on the rows of calls refused before admission, as on admitted ones", async () => {
    up.respondWith({ json: chatCompletion('ok', { prompt_tokens: 1, completion_tokens: 1 }) });
    await clientOf(keys.tagged.key, 'req-tagged-ok').chat.completions.create({ model: 'priced', messages });
    assert.deepEqual((await rowArrives('req-tagged-ok')).request_tags, ['own-tag']);

    await assert.rejects(
      clientOf(keys.tagged.key, 'req-tagged-404').chat.completions.create({ model: 'nope', messages }),
    );
    const unknown = await rowArrives('req-tagged-404');
    assert.equal(unknown.status_code, 404);
    assert.deepEqual(unknown.request_tags, ['own-tag']);

    const bad = await fetch(`${gw.url}/v1/chat/completions`, {
      method: 'POST',
      headers: {
        authorization: `Bearer ${keys.tagged.key}`,
        'content-type': 'application/json',
        'x-request-id': 'req-tagged-400',
      },
      body: JSON.stringify({ model: 'priced', messages: 'not a list', metadata: { tags: ['asked'] } }),
    });
    assert.equal(bad.status, 400);
    assert.deepEqual([...(await rowArrives('req-tagged-400')).request_tags].sort(), ['asked', 'own-tag']);
  });

  it("takes a request's tags from a top-level tags and the x-litellm-tags header too, as LiteLLM does", async () => {
    up.respondWith({ json: chatCompletion('ok', { prompt_tokens: 1, completion_tokens: 1 }) });
    up.requests.length = 0;
    for (const size of ['small', 'large']) {
      const id = `req-tags-places-${size}`;
      const res = await fetch(`${gw.url}/v1/chat/completions`, {
        method: 'POST',
        headers: {
          authorization: `Bearer ${keys.tagged.key}`,
          'content-type': 'application/json',
          'x-request-id': id,
          'x-litellm-tags': 'from-header, second ,',
        },
        body: JSON.stringify({
          model: 'priced',
          messages: [{ role: 'user', content: size === 'small' ? 'hi' : 'x'.repeat(4000) }],
          tags: ['top-level'],
          metadata: { tags: ['in-metadata'] },
        }),
      });
      assert.equal(res.status, 200, await res.text());
      assert.deepEqual([...(await rowArrives(id)).request_tags].sort(), [
        'from-header',
        'in-metadata',
        'own-tag',
        'second',
        'top-level',
      ]);
      // LiteLLM's own parameter is not sent on: an OpenAI upstream refuses one it does not know.
      const sent = up.requests.at(-1)!;
      assert.equal('tags' in sent.body, false, size);
      assert.deepEqual(sent.body.metadata, { tags: ['in-metadata'] }, size);
    }
  });

  it('names the deployment that failed on the row of a failed upstream call', async () => {
    up.respondWith({ json: errorBody('upstream broke', 'server_error'), status: 500 });
    await assert.rejects(clientOf(keys.a.key, 'req-fail-dep-1').chat.completions.create({ model: 'priced', messages }));
    const f = await rowArrives('req-fail-dep-1');
    assert.equal(f.status, 'failure');
    assert.equal(f.model_id, 'priced-1');
    assert.equal(f.api_base, `${up.url}/v1`, 'no query string (it may hold a credential)');

    up.respondWith({ json: errorBody('bad request', 'invalid_request_error'), status: 400 });
    await assert.rejects(clientOf(keys.a.key, 'req-fail-dep-2').chat.completions.create({ model: 'priced', messages }));
    const g = await rowArrives('req-fail-dep-2');
    assert.equal(g.status_code, 400);
    assert.equal(g.model_id, 'priced-1');
    assert.equal(g.api_base, `${up.url}/v1`);
  });

  it('writes a call whose user and tags hold NUL and lone surrogates, and the calls after it', async () => {
    // PostgreSQL stores neither a NUL nor a lone surrogate: written as sent, the whole batch would fail on every retry.
    const res = await fetch(`${gw.url}/v1/chat/completions`, {
      method: 'POST',
      headers: {
        authorization: `Bearer ${keys.a.key}`,
        'content-type': 'application/json',
        'x-request-id': 'req-odd-1',
      },
      body: JSON.stringify({
        model: 'priced',
        messages,
        user: 'cu\u0000st\ud800omer',
        metadata: { tags: ['t\u0000ag', 'half-\udc00'] },
      }),
    });
    assert.equal(res.status, 400, 'an end user id the database cannot hold is refused');
    assert.equal((await readJson(res)).error.param, 'user');
    up.respondWith({ json: chatCompletion('ok', { prompt_tokens: 2, completion_tokens: 1 }) });
    await clientOf(keys.a.key, 'req-odd-2').chat.completions.create({
      model: 'priced',
      messages,
      metadata: { tags: ['t\u0000ag2'] },
    } as any);
    const r = await rowArrives('req-odd-1');
    assert.equal(r.status_code, 400);
    assert.equal(r.end_user, 'cust\ufffdomer');
    assert.deepEqual([...r.request_tags].sort(), ['half-\ufffd', 'key-tag', 'tag']);
    const ok = await rowArrives('req-odd-2');
    assert.equal(ok.status, 'success');
    assert.deepEqual([...ok.request_tags].sort(), ['key-tag', 'tag2']);
  });

  it('counts an end user under the id its rows name: 256 characters are served, more are refused naming user', async () => {
    up.respondWith({ json: chatCompletion('ok', { prompt_tokens: 2, completion_tokens: 1 }) });
    const id = 'e'.repeat(255) + '1';
    await clientOf(keys.b.key, 'req-user-256').chat.completions.create({ model: 'priced', messages, user: id });
    const r = await rowArrives('req-user-256');
    assert.equal(r.end_user, id);
    const customer = async () => {
      const res = await admin(`/customer/info?end_user_id=${id}`);
      return res.status === 200 ? ((await readJson(res)) as { spend: number }).spend : null;
    };
    await waitFor(async () => (await customer()) === r.spend, 'the end user spend written');

    const res = await fetch(`${gw.url}/v1/chat/completions`, {
      method: 'POST',
      headers: {
        authorization: `Bearer ${keys.b.key}`,
        'content-type': 'application/json',
        'x-request-id': 'req-user-257',
      },
      body: JSON.stringify({ model: 'priced', messages, user: `${id}x` }),
    });
    assert.equal(res.status, 400, 'an end user id /customer/* could not name');
    assert.equal((await readJson(res)).error.param, 'user');
    assert.equal((await rowArrives('req-user-257')).status_code, 400);
    assert.deepEqual(await sql(db.url, 'SELECT user_id FROM end_users WHERE length(user_id) > 256'), []);
  });

  it('writes a cancelled stream (the client hung up) with the tokens relayed until then', async () => {
    let release!: () => void;
    const gate = new Promise<void>((r) => (release = r));
    up.respondWith({ sse: [...chatChunks(['a', 'b']).slice(0, 2), () => gate, ...chatChunks(['c']).slice(1)] });
    const ac = new AbortController();
    const res = await fetch(`${gw.url}/v1/chat/completions`, {
      method: 'POST',
      headers: {
        authorization: `Bearer ${keys.a.key}`,
        'content-type': 'application/json',
        'x-request-id': 'req-cancel-1',
      },
      body: JSON.stringify({ model: 'priced', messages, stream: true }),
      signal: ac.signal,
    });
    const reader = res.body!.getReader();
    await reader.read();
    ac.abort();
    const r = await rowArrives('req-cancel-1');
    release();
    assert.equal(r.status, 'failure');
    assert.equal(r.status_code, 499);
    assert.ok(r.completion_start_time !== null);
  });

  it('writes embeddings as aembedding', async () => {
    up.reset();
    await clientOf(keys.b.key, 'req-emb-1').embeddings.create({ model: 'priced', input: [PROMPT_MARK] });
    const r = await rowArrives('req-emb-1');
    assert.equal(r.call_type, 'aembedding');
    assert.equal(r.completion_tokens, 0);
    assert.ok(r.prompt_tokens > 0);
  });

  it('filters by key, user, team and dates, and pages newest first', async () => {
    up.reset();
    for (let i = 0; i < 5; i++)
      await clientOf(keys.solo.key, `req-page-${i}`).chat.completions.create({ model: 'priced', messages });
    await rowArrives('req-page-4');
    const page = async (q: string) => {
      const res = await admin(`/spend/logs?${q}`);
      assert.equal(res.status, 200, q);
      return (await readJson(res)) as any[];
    };
    const p1 = await page(`api_key=${keys.solo.token}&page_size=2`);
    const p2 = await page(`api_key=${keys.solo.token}&page_size=2&page=2`);
    const p3 = await page(`api_key=${keys.solo.token}&page_size=2&page=3`);
    const ids = [...p1, ...p2, ...p3].map((r) => r.request_id);
    assert.deepEqual(ids, ['req-page-4', 'req-page-3', 'req-page-2', 'req-page-1', 'req-page-0']);
    assert.equal((await page(`api_key=${keys.solo.key}`)).length, 5, 'a raw key is looked for by its hash');
    assert.ok((await page('user_id=user-a')).every((r) => r.user === 'user-a'));
    const teamB = await page('team_id=team-b');
    assert.ok(teamB.length >= 2 && teamB.every((r) => r.team_id === 'team-b'));
    assert.equal((await page(`api_key=${keys.solo.token}&model=priced`)).length, 5);
    assert.equal((await page(`api_key=${keys.solo.token}&model=other`)).length, 0, 'a model filter');
    const today = new Date().toISOString().slice(0, 10);
    assert.equal((await page(`api_key=${keys.solo.token}&start_date=${today}&end_date=${today}`)).length, 5);
    assert.equal((await page(`api_key=${keys.solo.token}&end_date=2000-01-01`)).length, 0);
    const bad = await admin('/spend/logs?start_date=yesterday');
    assert.equal(bad.status, 400);
    assert.equal((await readJson(bad)).error.param, 'start_date');
  });

  it('shows a team caller only its team, and a key of no team only its own rows', async () => {
    const as = (key: string, q: string) =>
      fetch(`${gw.url}/spend/logs?${q}`, { headers: { authorization: `Bearer ${key}` } });
    const mine = (await readJson(await as(keys.a.key, 'page_size=1000'))) as any[];
    assert.ok(mine.length >= 4);
    assert.ok(mine.every((r) => r.team_id === 'team-a'));
    assert.equal((await as(keys.a.key, 'team_id=team-b')).status, 403);
    const solo = (await readJson(await as(keys.solo.key, 'page_size=1000'))) as any[];
    assert.equal(solo.length, 5);
    assert.ok(solo.every((r) => r.api_key === keys.solo.token));
    assert.equal((await as(keys.b.key, '')).status, 403, 'spend routes are not granted to a key by default');
    const report = (await readJson(
      await fetch(`${gw.url}/global/spend/report?start_date=2000-01-01&end_date=2100-01-01&group_by=team`, {
        headers: { authorization: `Bearer ${keys.a.key}` },
      }),
    )) as any[];
    assert.ok(report.flatMap((d) => d.teams).every((t: any) => t.team_name === 'team-a'));
  });

  it('reports spend, tokens and requests per day and group; sums equal the rows', async () => {
    const [totals] = await sql<any>(
      db.url,
      'SELECT sum(spend) AS spend, sum(total_tokens)::int AS tokens, count(*)::int AS n FROM spend_logs',
    );
    for (const [group, list, field] of [
      ['team', 'teams', 'team_name'],
      ['api_key', 'api_keys', 'api_key'],
      ['user', 'users', 'user'],
      ['model', 'models', 'model'],
      ['customer', 'customers', 'customer'],
    ]) {
      const res = await admin(`/global/spend/report?start_date=2000-01-01&end_date=2100-01-01&group_by=${group}`);
      assert.equal(res.status, 200, group);
      const days = (await readJson(res)) as any[];
      const entries = days.flatMap((d) => d[list]);
      assert.ok(days.every((d) => /^\d{4}-\d{2}-\d{2}T00:00:00\+00:00$/.test(d.group_by_day)));
      assert.ok(
        close(
          entries.reduce((s: number, e: any) => s + e.total_spend, 0),
          totals.spend,
        ),
        group,
      );
      assert.equal(
        entries.reduce((s: number, e: any) => s + e.total_tokens, 0),
        totals.tokens,
        group,
      );
      assert.equal(
        entries.reduce((s: number, e: any) => s + e.total_requests, 0),
        totals.n,
        group,
      );
      assert.ok(entries.every((e: any) => field in e));
      if (group === 'api_key' || group === 'user' || group === 'customer') {
        // Calls of no key, user or end user are named as their rows name them: "" (LiteLLM's empty column).
        const column = group === 'customer' ? 'end_user' : group;
        const [none] = await sql<any>(db.url, `SELECT count(*)::int AS n FROM spend_logs WHERE "${column}" IS NULL`);
        const unnamed = entries.filter((e: any) => e[field] === '');
        assert.equal(
          unnamed.reduce((s: number, e: any) => s + e.total_requests, 0),
          none.n,
          `${group}: the calls with none`,
        );
        assert.ok(
          entries.every((e: any) => typeof e[field] === 'string'),
          `${group}: every name a string`,
        );
      }
    }
    const teams = (await readJson(
      await admin('/global/spend/report?start_date=2000-01-01&end_date=2100-01-01&group_by=team'),
    )) as any[];
    const [a] = await sql<any>(db.url, "SELECT sum(spend) AS s FROM spend_logs WHERE team_id = 'team-a'");
    const teamA = teams.flatMap((d) => d.teams).find((t: any) => t.team_name === 'team-a');
    assert.ok(close(teamA.total_spend, a.s));
    assert.equal((await admin('/global/spend/report?group_by=team')).status, 400, 'dates are required');
    assert.equal(
      (await admin('/global/spend/report?start_date=2000-01-01&end_date=2000-01-02&group_by=x')).status,
      400,
    );
  });

  it("answers LiteLLM's per-key report for api_key= and internal_user_id=, and per team and customer", async () => {
    const range = '/global/spend/report?start_date=2000-01-01&end_date=2100-01-01';
    const json = async (path: string) => {
      const res = await admin(path);
      assert.equal(res.status, 200, path);
      return (await readJson(res)) as any[];
    };
    const [byKey] = await sql<any>(
      db.url,
      `SELECT sum(spend) AS spend, sum(prompt_tokens)::int AS input, sum(completion_tokens)::int AS output
       FROM spend_logs WHERE api_key = $1`,
      [keys.a.token],
    );
    const models = await sql<{ model: string }>(db.url, 'SELECT DISTINCT model FROM spend_logs WHERE api_key = $1', [
      keys.a.token,
    ]);
    for (const path of [`${range}&api_key=${keys.a.key}`, `${range}&api_key=${keys.a.token}`]) {
      const [entry, ...rest] = await json(path);
      assert.equal(rest.length, 0, 'one key');
      assert.deepEqual(Object.keys(entry).sort(), [
        'api_key',
        'model_details',
        'total_cost',
        'total_input_tokens',
        'total_output_tokens',
      ]);
      assert.equal(entry.api_key, keys.a.token);
      assert.ok(close(entry.total_cost, byKey.spend));
      assert.equal(entry.total_input_tokens, byKey.input);
      assert.equal(entry.total_output_tokens, byKey.output);
      assert.deepEqual(entry.model_details.map((m: any) => m.model).sort(), models.map((m) => m.model).sort());
      assert.ok(
        close(
          entry.model_details.reduce((t: number, m: any) => t + m.total_cost, 0),
          entry.total_cost,
        ),
      );
    }
    const userKeys = await json(`${range}&internal_user_id=user-b`);
    assert.deepEqual(
      userKeys.map((e) => e.api_key),
      [keys.b.token],
    );
    const [cust] = await sql<any>(
      db.url,
      "SELECT team_id, end_user FROM spend_logs WHERE end_user = 'customer-1' AND team_id IS NOT NULL LIMIT 1",
    );
    const days = await json(`${range}&team_id=${cust.team_id}&customer_id=${cust.end_user}`);
    const entries = days.flatMap((d) => d.teams_customers);
    assert.ok(entries.length > 0);
    assert.ok(entries.every((e: any) => e.team_name === cust.team_id && e.customer === cust.end_user));
  });

  it('keeps no prompt or answer text anywhere in the database', async () => {
    const tables = await sql<{ t: string }>(
      db.url,
      "SELECT quote_ident(table_name) AS t FROM information_schema.tables WHERE table_schema = 'public'",
    );
    assert.ok(tables.some((t) => t.t === 'spend_logs'));
    for (const { t } of tables) {
      const rows = await sql<{ text: string }>(
        db.url,
        `SELECT coalesce(string_agg(x::text, ''), '') AS text FROM ${t} x`,
      );
      assert.ok(!rows[0].text.includes(PROMPT_MARK), `prompt text in ${t}`);
      assert.ok(!rows[0].text.includes(ANSWER_MARK), `answer text in ${t}`);
      assert.ok(!rows[0].text.includes('not-shown'), `api_base query in ${t}`);
    }
  });

  it('keeps spend totals equal to the rows of each key', async () => {
    await waitFor(async () => {
      const [k] = await sql<any>(db.url, 'SELECT spend FROM virtual_keys WHERE token = $1', [keys.a.token]);
      const [s] = await sql<any>(db.url, 'SELECT coalesce(sum(spend), 0) AS s FROM spend_logs WHERE api_key = $1', [
        keys.a.token,
      ]);
      return close(k.spend, s.s) && s.s > 0;
    }, 'key spend equal to its rows');
  });
});
