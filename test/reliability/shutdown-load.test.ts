import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { request as httpRequest } from 'node:http';
import { after, before, describe, it } from 'node:test';
import { spawnGateway, writeConfig, type SpawnedGateway } from '../support/gateway';
import { startOidcProvider, type TestOidcProvider } from '../support/oidc';
import { createTestDatabase, sql } from '../support/postgres';
import { chatChunks, chatCompletion, startUpstream, type FakeUpstream } from '../support/upstream';

/**
 * Graceful shutdown under load, building on test/e2e/shutdown (single requests): SIGTERM while
 * 50 calls are in flight at a slow upstream (half of them streams already sending), from virtual keys and a
 * team JWT. New connections are refused from the signal on; the 50 finish with 200 (streams complete) once the
 * upstream answers, within SHUTDOWN_TIMEOUT_SECONDS; spend for every completed call is in the database; exit 0.
 */
const IN_FLIGHT = 50;
const SHUTDOWN_TIMEOUT_SECONDS = 15;
const MASTER = 'sk-shutload-master-8c2d';
const IN_COST = 0.00001;
const OUT_COST = 0.00003;
const CHAT_USAGE = { prompt_tokens: 13, completion_tokens: 5 };
const STREAM_USAGE = { prompt_tokens: 9, completion_tokens: 4 };

const sha = (s: string) => createHash('sha256').update(s).digest('hex');
const costOf = (u: { prompt_tokens: number; completion_tokens: number }) =>
  u.prompt_tokens * IN_COST + u.completion_tokens * OUT_COST;

/** One call on its own connection (no keep-alive): status and the whole body, or the network error. */
function call(
  url: string,
  credential: string,
  body: object,
): Promise<{ status: number; body: string } | { error: string }> {
  return new Promise((resolve) => {
    const req = httpRequest(
      `${url}/v1/chat/completions`,
      {
        method: 'POST',
        agent: false,
        headers: { authorization: `Bearer ${credential}`, 'content-type': 'application/json' },
      },
      (res) => {
        let text = '';
        res.setEncoding('utf8');
        res.on('data', (d) => (text += d));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, body: text }));
        res.on('error', (e) => resolve({ error: e.message }));
      },
    );
    req.on('error', (e) => resolve({ error: `${(e as NodeJS.ErrnoException).code ?? ''} ${e.message}` }));
    req.end(JSON.stringify(body));
  });
}

async function until(what: string, check: () => boolean, ms = 30_000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!check()) {
    assert.ok(Date.now() < deadline, `timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

describe('graceful shutdown under load (production build)', () => {
  let upstream: FakeUpstream;
  let idp: TestOidcProvider;
  let db: Awaited<ReturnType<typeof createTestDatabase>>;
  let gw: SpawnedGateway;
  let release!: () => void;
  const gate = new Promise<void>((r) => (release = r));

  before(async () => {
    // Streams send their first chunks at once and the rest after the gate; JSON answers wait for the gate.
    upstream = await startUpstream(async (req) => {
      const stuck = JSON.stringify(req.body?.messages ?? '').includes('stuck');
      if (stuck && req.body?.stream !== true) return { hang: true };
      if (stuck) return { sse: [chatChunks(['never'])[0], () => new Promise(() => undefined)] };
      if (req.body?.stream === true) {
        const [first, ...rest] = chatChunks(['still', ' streaming', ' after', ' SIGTERM'], STREAM_USAGE);
        return { sse: [first, () => gate, ...rest], delayMs: 5 };
      }
      await gate;
      return { json: chatCompletion('finished after SIGTERM', CHAT_USAGE) };
    });
    idp = await startOidcProvider({ clients: [{ clientId: 'team-shutdown' }] });
    db = await createTestDatabase();
  });

  after(async () => {
    release();
    await gw?.stop('SIGKILL');
    await upstream?.close();
    await idp?.stop();
    await db?.drop();
  });

  it(`SIGTERM with ${IN_FLIGHT} calls in flight: all finish with 200, new connections are refused, spend is flushed, exit 0`, async () => {
    const config = writeConfig(`general_settings:
  master_key: ${MASTER}
  enable_jwt_auth: true
model_list:
  - model_name: slow
    litellm_params: { model: openai/gpt-upstream, api_base: ${upstream.url}/v1, api_key: shutdown-upstream-key, timeout: 120 }
    model_info: { input_cost_per_token: ${IN_COST}, output_cost_per_token: ${OUT_COST} }
router_settings:
  num_retries: 0
`);
    gw = await spawnGateway(
      ['--config', config],
      {
        DATABASE_URL: db.url,
        JWT_PUBLIC_KEY_URL: idp.jwksUri,
        SHUTDOWN_TIMEOUT_SECONDS: String(SHUTDOWN_TIMEOUT_SECONDS),
      },
      60_000,
    );
    const keys: string[] = [];
    for (let i = 0; i < 3; i++) {
      const r = await fetch(`${gw.url}/key/generate`, {
        method: 'POST',
        headers: { authorization: `Bearer ${MASTER}`, 'content-type': 'application/json' },
        body: '{}',
      });
      keys.push(((await r.json()) as { key: string }).key);
    }
    const jwt = await idp.token('team-shutdown');
    const credentials = [...keys, jwt];

    const calls = Array.from({ length: IN_FLIGHT }, (_, i) => {
      const credential = credentials[i % credentials.length];
      const stream = i % 2 === 1;
      const body = {
        model: 'slow',
        messages: [{ role: 'user', content: `call ${i}` }],
        ...(stream ? { stream: true } : {}),
      };
      return { credential, stream, result: call(gw.url, credential, body) };
    });
    await until(`the upstream to hold all ${IN_FLIGHT} calls`, () => upstream.requests.length === IN_FLIGHT);

    const signalledAt = Date.now();
    const exited = gw.stop('SIGTERM');
    await until('shutdown to start', () => gw.output().includes('shutting down'));
    // New connections are refused (the listening socket is closed), cleanly: no hang, no half answer.
    for (let i = 0; i < 5; i++) {
      const late = await call(gw.url, keys[0], { model: 'slow', messages: [{ role: 'user', content: 'late' }] });
      assert.ok(
        'error' in late && /ECONNREFUSED/.test(late.error),
        `a call after SIGTERM was refused: ${JSON.stringify(late)}`,
      );
    }
    assert.equal(upstream.requests.length, IN_FLIGHT, 'nothing new reached the upstream');

    release();
    const results = await Promise.all(calls.map((c) => c.result));
    const expected = new Map<string, number>();
    results.forEach((r, i) => {
      assert.ok('status' in r, `call ${i} was answered: ${JSON.stringify(r)}`);
      assert.equal(r.status, 200, `call ${i}: ${r.body.slice(0, 200)}`);
      if (calls[i].stream) {
        assert.ok(
          r.body.includes('after') && r.body.endsWith('data: [DONE]\n\n'),
          `stream ${i} completed: ${r.body.slice(-120)}`,
        );
      } else {
        assert.equal(JSON.parse(r.body).choices[0].message.content, 'finished after SIGTERM');
      }
      const c = calls[i];
      expected.set(c.credential, (expected.get(c.credential) ?? 0) + costOf(c.stream ? STREAM_USAGE : CHAT_USAGE));
    });

    assert.equal(await exited, 0, gw.output().slice(-2000));
    const took = Date.now() - signalledAt;
    assert.ok(
      took < SHUTDOWN_TIMEOUT_SECONDS * 1000,
      `the process exited once its calls were done (${took} ms), within the shutdown timeout`,
    );
    assert.match(gw.output(), /"msg":"stopped"/);

    // Spend of every completed call was written before the database closed.
    const rows = await sql<{ token: string; spend: number }>(db.url, 'SELECT token, spend FROM virtual_keys');
    for (const key of keys) {
      const row = rows.find((r) => r.token === sha(key));
      assert.ok(
        row && Math.abs(row.spend - expected.get(key)!) < 1e-12,
        `key spend ${row?.spend} == ${expected.get(key)}`,
      );
    }
    const [team] = await sql<{ spend: number }>(db.url, `SELECT spend FROM teams WHERE team_id = 'team-shutdown'`);
    assert.ok(
      team && Math.abs(team.spend - expected.get(jwt)!) < 1e-12,
      `team spend ${team?.spend} == ${expected.get(jwt)}`,
    );
  });

  it('SIGTERM with calls that never finish: the others complete, the stuck ones are cut after SHUTDOWN_TIMEOUT_SECONDS, completed spend is flushed, exit 0', async () => {
    await gw.stop('SIGKILL');
    upstream.reset();
    const config = writeConfig(`general_settings:
  master_key: ${MASTER}
model_list:
  - model_name: slow
    litellm_params: { model: openai/gpt-upstream, api_base: ${upstream.url}/v1, api_key: shutdown-upstream-key, timeout: 120 }
    model_info: { input_cost_per_token: ${IN_COST}, output_cost_per_token: ${OUT_COST} }
router_settings:
  num_retries: 0
`);
    gw = await spawnGateway(['--config', config], { DATABASE_URL: db.url, SHUTDOWN_TIMEOUT_SECONDS: '2' }, 60_000);
    const newKey = async () => {
      const r = await fetch(`${gw.url}/key/generate`, {
        method: 'POST',
        headers: { authorization: `Bearer ${MASTER}`, 'content-type': 'application/json' },
        body: '{}',
      });
      return ((await r.json()) as { key: string }).key;
    };
    const finishing = await newKey();
    const stuckKey = await newKey();
    // The gate of the first test is open: these calls finish at once, so they are started after the stuck ones are held.
    const stuck = Array.from({ length: 20 }, (_, i) =>
      call(gw.url, stuckKey, {
        model: 'slow',
        messages: [{ role: 'user', content: `stuck ${i}` }],
        ...(i % 2 ? { stream: true } : {}),
      }),
    );
    await until('the upstream to hold the stuck calls', () => upstream.requests.length === 20);
    let release2!: () => void;
    const gate2 = new Promise<void>((r) => (release2 = r));
    upstream.respondWith(async (req) => {
      await gate2;
      return req.body?.stream === true
        ? { sse: chatChunks(['done'], STREAM_USAGE) }
        : { json: chatCompletion('done', CHAT_USAGE) };
    });
    const done = Array.from({ length: 20 }, (_, i) => ({
      stream: i % 2 === 1,
      result: call(gw.url, finishing, {
        model: 'slow',
        messages: [{ role: 'user', content: `finishing ${i}` }],
        ...(i % 2 ? { stream: true } : {}),
      }),
    }));
    await until('the upstream to hold all 40 calls', () => upstream.requests.length === 40);

    const signalledAt = Date.now();
    const exited = gw.stop('SIGTERM');
    await until('shutdown to start', () => gw.output().includes('shutting down'));
    release2();
    let expected = 0;
    for (const d of done) {
      const r = await d.result;
      assert.ok('status' in r && r.status === 200, JSON.stringify(r).slice(0, 300));
      if (d.stream) assert.ok(r.body.endsWith('data: [DONE]\n\n'));
      expected += costOf(d.stream ? STREAM_USAGE : CHAT_USAGE);
    }
    assert.equal(await exited, 0, gw.output().slice(-2000));
    const took = Date.now() - signalledAt;
    assert.ok(took >= 1_900, `the stuck calls were given the shutdown timeout (${took} ms)`);
    assert.ok(took < 2_000 + 5_000, `and then cut (${took} ms)`);
    for (const r of await Promise.all(stuck)) {
      // Cut: a reset connection, or a stream that ends without [DONE] (never a 200 JSON answer).
      assert.ok(
        'error' in r || (r.status === 200 && !r.body.includes('[DONE]')) || r.status >= 500,
        JSON.stringify(r).slice(0, 300),
      );
    }
    const [row] = await sql<{ spend: number }>(db.url, 'SELECT spend FROM virtual_keys WHERE token = $1', [
      sha(finishing),
    ]);
    assert.ok(Math.abs(row.spend - expected) < 1e-12, `spend of the completed calls ${row.spend} == ${expected}`);
    assert.doesNotMatch(gw.output(), /"msg":"unhandled error"/);
  });
});
