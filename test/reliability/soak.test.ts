import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import { Pool } from 'undici';
import { spawnGateway, writeConfig, type SpawnedGateway } from '../support/gateway';
import { startOidcProvider, type TestOidcProvider } from '../support/oidc';
import { createTestDatabase, sql } from '../support/postgres';
import { errorBody, startUpstream, type FakeUpstream } from '../support/upstream';

/**
 * Soak: SOAK_SECONDS (default 30) at SOAK_RPS (default 300) requests/s of mixed credentials
 * (master key, three virtual keys, a team JWT), chat, streams and embeddings, against a model group where one
 * of the two deployments answers every call with a 500 (so retries and cooldowns happen all along) while the
 * other always answers. Since one deployment never fails, any 5xx is the gateway's fault: there must be none.
 * Every request must be answered, and after SIGTERM the spend in the database must equal, per key and per
 * team, the sum of the costs of the calls made (from the usage the upstream reported).
 */
const SECONDS = Number(process.env.SOAK_SECONDS ?? '30');
const RPS = Number(process.env.SOAK_RPS ?? '300');
const WORKERS = 48;
const MASTER = 'sk-soak-master-3e8a0f';
const IN_COST = 0.000001;
const OUT_COST = 0.000002;
/** What the good upstream reports (test/support/upstream defaults): chat 11+7, stream 11+3, embeddings 5. */
const USAGE = { chat: [11, 7], stream: [11, 3], embeddings: [5, 0] } as const;
type Kind = keyof typeof USAGE;

const sha = (s: string) => createHash('sha256').update(s).digest('hex');
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe(`soak: ${SECONDS} s at ${RPS} requests/s (production build)`, () => {
  let good: FakeUpstream;
  let bad: FakeUpstream;
  let idp: TestOidcProvider;
  let db: Awaited<ReturnType<typeof createTestDatabase>>;
  let gw: SpawnedGateway;
  let goodCalls = 0;
  let badCalls = 0;

  before(async () => {
    good = await startUpstream();
    bad = await startUpstream();
    idp = await startOidcProvider({ clients: [{ clientId: 'team-soak' }] });
    db = await createTestDatabase();
  });

  after(async () => {
    await gw?.stop('SIGKILL');
    await good?.close();
    await bad?.close();
    await idp?.stop();
    await db?.drop();
  });

  it('every request answered, no gateway 5xx, spend in the database equals the calls made', async (t) => {
    const { defaultAnswer } = await import('../support/upstream');
    good.respondWith((req) => {
      good.requests.length = 0; // count, do not keep
      goodCalls++;
      return defaultAnswer(req);
    });
    bad.respondWith(() => {
      bad.requests.length = 0;
      badCalls++;
      return { json: errorBody('The server had an error while processing your request', 'server_error'), status: 500 };
    });
    const cost = `model_info: { input_cost_per_token: ${IN_COST}, output_cost_per_token: ${OUT_COST} }`;
    const config = writeConfig(`general_settings:
  master_key: ${MASTER}
  enable_jwt_auth: true
model_list:
  - model_name: mix
    litellm_params: { model: openai/gpt-good, api_base: ${good.url}/v1, api_key: good-key }
    ${cost}
  - model_name: mix
    litellm_params: { model: openai/gpt-bad, api_base: ${bad.url}/v1, api_key: bad-key }
    ${cost}
router_settings:
  num_retries: 2
  allowed_fails: 10
  cooldown_time: 1
`);
    gw = await spawnGateway(['--config', config], { DATABASE_URL: db.url, JWT_PUBLIC_KEY_URL: idp.jwksUri }, 60_000);
    const keys: string[] = [];
    for (let i = 0; i < 3; i++) {
      const r = await fetch(`${gw.url}/key/generate`, {
        method: 'POST',
        headers: { authorization: `Bearer ${MASTER}`, 'content-type': 'application/json' },
        body: JSON.stringify({ key_alias: `soak-${i}` }),
      });
      assert.equal(r.status, 200);
      keys.push(((await r.json()) as { key: string }).key);
    }
    const jwt = await idp.token('team-soak');
    const credentials = [MASTER, ...keys, jwt];

    const pool = new Pool(gw.url, { connections: WORKERS, pipelining: 1 });
    const expected = new Map<string, number>(credentials.map((c) => [c, 0]));
    const statuses = new Map<number, number>();
    const kinds = new Map<Kind, number>();
    const failures: string[] = [];
    let sent = 0;
    let answered = 0;
    const oneCall = async (i: number) => {
      const credential = credentials[i % credentials.length];
      const kind: Kind = ['chat', 'chat', 'chat', 'stream', 'stream', 'embeddings'][
        Math.floor(i / credentials.length) % 6
      ] as Kind;
      const body =
        kind === 'embeddings'
          ? { model: 'mix', input: ['soak'] }
          : {
              model: 'mix',
              messages: [{ role: 'user', content: `soak ${i}` }],
              ...(kind === 'stream'
                ? { stream: true, ...(i % 2 ? { stream_options: { include_usage: true } } : {}) }
                : {}),
            };
      sent++;
      try {
        const res = await pool.request({
          method: 'POST',
          path: kind === 'embeddings' ? '/v1/embeddings' : '/v1/chat/completions',
          headers: { authorization: `Bearer ${credential}`, 'content-type': 'application/json' },
          body: JSON.stringify(body),
        });
        const text = await res.body.text();
        answered++;
        statuses.set(res.statusCode, (statuses.get(res.statusCode) ?? 0) + 1);
        kinds.set(kind, (kinds.get(kind) ?? 0) + 1);
        if (res.statusCode !== 200) {
          failures.push(`${kind} ${res.statusCode}: ${text.slice(0, 300)}`);
          return;
        }
        if (kind === 'stream') assert.ok(text.endsWith('data: [DONE]\n\n'), `a complete stream: ${text.slice(-100)}`);
        const [prompt, completion] = USAGE[kind];
        expected.set(credential, expected.get(credential)! + prompt * IN_COST + completion * OUT_COST);
      } catch (err) {
        failures.push(`${kind}: no answer: ${(err as Error).message}`);
      }
    };

    const started = Date.now();
    const end = started + SECONDS * 1000;
    let seq = 0;
    const worker = async () => {
      for (;;) {
        const i = seq++;
        const at = started + (i * 1000) / RPS;
        if (at >= end) return;
        if (at > Date.now()) await sleep(at - Date.now());
        await oneCall(i);
      }
    };
    await Promise.all(Array.from({ length: WORKERS }, worker));
    const elapsed = (Date.now() - started) / 1000;
    await pool.close();
    t.diagnostic(
      `${answered} requests in ${elapsed.toFixed(1)} s (${Math.round(answered / elapsed)}/s); statuses ${JSON.stringify(Object.fromEntries(statuses))}; kinds ${JSON.stringify(Object.fromEntries(kinds))}; upstream calls good ${goodCalls}, failing ${badCalls}`,
    );

    assert.equal(answered, sent, 'every request was answered');
    assert.deepEqual(failures.slice(0, 5), [], `${failures.length} requests failed`);
    assert.ok(answered >= SECONDS * Math.min(RPS, 50), `load was applied (${answered} requests)`);
    assert.ok(badCalls > 0, 'the failing deployment was tried, so retries happened');
    assert.equal(goodCalls, answered, 'each answered call reached the healthy deployment exactly once');
    assert.match(gw.output(), /upstream attempt failed/);

    // SIGTERM flushes the spend still in memory; then the database must hold exactly the calls' costs.
    assert.equal(await gw.stop('SIGTERM'), 0, gw.output().slice(-2000));
    const rows = await sql<{ token: string; spend: number }>(db.url, 'SELECT token, spend FROM virtual_keys');
    for (const key of keys) {
      const row = rows.find((r) => r.token === sha(key));
      assert.ok(row, 'key row');
      assert.ok(
        Math.abs(row.spend - expected.get(key)!) < 1e-9,
        `key spend ${row.spend} != calls ${expected.get(key)}`,
      );
      assert.ok(row.spend > 0);
    }
    const [team] = await sql<{ spend: number }>(db.url, `SELECT spend FROM teams WHERE team_id = 'team-soak'`);
    assert.ok(team, 'team spend row');
    assert.ok(
      Math.abs(team.spend - expected.get(jwt)!) < 1e-9,
      `team spend ${team.spend} != calls ${expected.get(jwt)}`,
    );
    assert.doesNotMatch(gw.output(), /"msg":"unhandled error"/);
  });
});
