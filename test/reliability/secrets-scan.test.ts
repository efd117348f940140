import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import { spawnGateway, writeConfig, type SpawnedGateway } from '../support/gateway';
import { startOidcProvider, type TestOidcProvider } from '../support/oidc';
import { createTestDatabase, sql } from '../support/postgres';
import { defaultAnswer, errorBody, startUpstream, type FakeUpstream } from '../support/upstream';

/**
 * Secrets scan: a full scenario on the production build at LOG_LEVEL=debug — master key, an
 * admin and a team JWT from a real OpenID provider, virtual keys (generated, custom, regenerated), upstream
 * api keys for Azure and OpenAI deployments, chat, streams, embeddings and errors (a wrong key, a forged JWT, a
 * regenerated key, an upstream 401 and 400 that quote its key) and the info routes — then every log line, every
 * response body and header, and every row of every table is searched for every secret (whole, without its
 * `sk-` prefix, and a JWT's signature part). Only the answer that issues a key may show it, once.
 */
const MASTER = 'sk-scan-master-5f0c2b9e71';
const AZURE_KEY = 'azure-upstream-secret-8d1f47aa';
const OPENAI_KEY = 'sk-openai-upstream-secret-2c9e04';
const LEAKY_KEY = 'sk-leaky-upstream-secret-a6b3d1';
const WRONG_KEY = 'sk-wrong-client-secret-77e0c1f3';
const CUSTOM_KEY = 'sk-custom-virtual-secret-41aa9c0d';

interface Seen {
  what: string;
  status: number;
  headers: string;
  body: string;
  /** Secrets this answer is meant to carry (a newly issued key). */
  mayShow: string[];
}

describe('secrets never leak (production build, debug logs)', () => {
  let upstream: FakeUpstream;
  let idp: TestOidcProvider;
  let db: Awaited<ReturnType<typeof createTestDatabase>>;
  let gw: SpawnedGateway;
  const seen: Seen[] = [];

  before(async () => {
    upstream = await startUpstream((req) => {
      // An upstream that quotes the key it was sent, as OpenAI's 401 does (unmasked here, the worst case).
      const auth = String(req.headers.authorization ?? '');
      // Its 401 (retried, then a 502: it judges the deployment's key, not the caller's), and a 400 passed on as is.
      if (auth.includes(LEAKY_KEY) && req.path.endsWith('/chat/completions'))
        return {
          json: errorBody(`Incorrect API key provided: ${LEAKY_KEY}.`, 'invalid_request_error', 'invalid_api_key'),
          status: 401,
        };
      if (auth.includes(LEAKY_KEY))
        return {
          json: errorBody(
            `Input rejected for organization of key ${LEAKY_KEY}: too long`,
            'invalid_request_error',
            'context_length_exceeded',
          ),
          status: 400,
        };
      return defaultAnswer(req);
    });
    idp = await startOidcProvider({
      clients: [{ clientId: 'scan-admin', scope: 'litellm_proxy_admin' }, { clientId: 'scan-team' }],
    });
    db = await createTestDatabase();
  });

  after(async () => {
    await gw?.stop('SIGKILL');
    await upstream?.close();
    await idp?.stop();
    await db?.drop();
  });

  async function call(
    what: string,
    path: string,
    credential: string | null,
    init: { method?: string; body?: unknown; header?: string } = {},
    mayShow: string[] = [],
  ) {
    const headers: Record<string, string> = {};
    if (credential) headers[init.header ?? 'authorization'] = init.header ? credential : `Bearer ${credential}`;
    if (init.body !== undefined) headers['content-type'] = 'application/json';
    const r = await fetch(gw.url + path, {
      method: init.method ?? (init.body === undefined ? 'GET' : 'POST'),
      headers,
      body: init.body === undefined ? undefined : JSON.stringify(init.body),
    });
    const body = await r.text();
    seen.push({ what, status: r.status, headers: JSON.stringify([...r.headers]), body, mayShow });
    return { status: r.status, body, json: () => JSON.parse(body) };
  }

  it('a full scenario leaves no secret in logs, answers or the database', async () => {
    const config = writeConfig(`general_settings:
  master_key: ${MASTER}
  enable_jwt_auth: true
model_list:
  - model_name: az
    litellm_params:
      model: azure/scan-deployment
      api_base: ${upstream.url}
      api_key: os.environ/SCAN_AZURE_KEY
      api_version: "2024-10-21"
    model_info: { input_cost_per_token: 0.001, output_cost_per_token: 0.002 }
  - model_name: gpt
    litellm_params:
      model: openai/gpt-upstream
      api_base: ${upstream.url}/v1
      api_key: ${OPENAI_KEY}
    model_info: { input_cost_per_token: 0.001, output_cost_per_token: 0.002 }
  - model_name: leaky
    litellm_params:
      model: openai/leaky-upstream
      api_base: ${upstream.url}/v1
      api_key: ${LEAKY_KEY}
router_settings:
  num_retries: 1
`);
    gw = await spawnGateway(
      ['--config', config],
      {
        DATABASE_URL: db.url,
        LOG_LEVEL: 'debug',
        SCAN_AZURE_KEY: AZURE_KEY,
        JWT_PUBLIC_KEY_URL: idp.discoveryUrl,
        JWT_AUDIENCE: idp.audience,
      },
      60_000,
    );
    const adminJwt = await idp.token('scan-admin', 'litellm_proxy_admin');
    const teamJwt = await idp.token('scan-team');
    const [h, p, sig] = teamJwt.split('.');
    const forgedJwt = `${h}.${p}.${sig.slice(0, 10)}${sig[10] === 'A' ? 'B' : 'A'}${sig.slice(11)}`;

    // Keys: generated by an admin JWT, a custom one by the master key, then one regenerated.
    const g1 = await call('generate (admin JWT)', '/key/generate', adminJwt, {
      body: { models: ['az', 'gpt', 'leaky'], metadata: { owner: 'scan' }, team_id: 'team-scan' },
    });
    assert.equal(g1.status, 200, g1.body);
    const key1: string = g1.json().key;
    seen.at(-1)!.mayShow.push(key1);
    const g2 = await call(
      'generate custom (master)',
      '/key/generate',
      MASTER,
      { body: { key: CUSTOM_KEY, key_alias: 'scan-custom' } },
      [CUSTOM_KEY],
    );
    assert.equal(g2.status, 200, g2.body);
    const rg = await call('regenerate (master)', '/key/regenerate', MASTER, { body: { key: key1 } });
    assert.equal(rg.status, 200, rg.body);
    const key1b: string = rg.json().key;
    seen.at(-1)!.mayShow.push(key1b);

    // Model calls with every kind of caller, JSON and streams, both providers.
    const chat = (model: string, stream = false) => ({
      model,
      messages: [{ role: 'user', content: 'hello' }],
      ...(stream ? { stream: true } : {}),
    });
    assert.equal((await call('chat master azure', '/v1/chat/completions', MASTER, { body: chat('az') })).status, 200);
    assert.equal(
      (await call('chat vkey openai stream', '/v1/chat/completions', key1b, { body: chat('gpt', true) })).status,
      200,
    );
    assert.equal(
      (
        await call('chat custom key api-key header', '/chat/completions', CUSTOM_KEY, {
          body: chat('gpt'),
          header: 'api-key',
        })
      ).status,
      200,
    );
    assert.equal(
      (
        await call('chat team JWT azure stream', '/openai/deployments/az/chat/completions', teamJwt, {
          body: { messages: [{ role: 'user', content: 'x' }], stream: true },
        })
      ).status,
      200,
    );
    assert.equal(
      (await call('embeddings team JWT', '/v1/embeddings', teamJwt, { body: { model: 'az', input: ['a', 'b'] } }))
        .status,
      200,
    );
    assert.equal(
      (
        await call('embeddings vkey x-litellm-api-key', '/v1/embeddings', key1b, {
          body: { model: 'gpt', input: 'a' },
          header: 'x-litellm-api-key',
        })
      ).status,
      200,
    );

    // Errors.
    assert.equal((await call('wrong key', '/v1/chat/completions', WRONG_KEY, { body: chat('gpt') })).status, 401);
    assert.equal((await call('wrong key api-key', '/v1/models', WRONG_KEY, { header: 'api-key' })).status, 401);
    assert.equal((await call('forged JWT', '/v1/chat/completions', forgedJwt, { body: chat('gpt') })).status, 401);
    assert.equal(
      (await call('old key after regenerate', '/v1/chat/completions', key1, { body: chat('gpt') })).status,
      401,
    );
    assert.equal(
      (await call('unknown key as a key ref', '/key/info?key=' + encodeURIComponent(WRONG_KEY), MASTER)).status,
      404,
    );
    const leaky401 = await call('upstream 401 quoting its key', '/v1/chat/completions', key1b, { body: chat('leaky') });
    assert.equal(leaky401.status, 502, leaky401.body);
    const leaky400 = await call('upstream 400 quoting its key', '/v1/embeddings', key1b, {
      body: { model: 'leaky', input: 'x' },
    });
    assert.equal(leaky400.status, 400, leaky400.body);
    assert.match(
      leaky400.body,
      /Input rejected for organization of key \[REDACTED\]: too long/,
      'the upstream error is passed on, minus the key',
    );
    assert.equal((await call('team JWT on a management route', '/key/generate', teamJwt, { body: {} })).status, 403);
    const byPath = await call(
      'team JWT regenerating a key named in the path',
      `/key/${CUSTOM_KEY}/regenerate`,
      teamJwt,
      { body: {} },
    );
    assert.equal(byPath.status, 403, byPath.body);
    assert.match(
      byPath.body,
      /POST \/key\/:key\/regenerate is not allowed/,
      'the refusal names the route, not the path',
    );

    // Info routes.
    assert.equal((await call('model info', '/model/info', MASTER)).status, 200);
    assert.equal((await call('v1 model info (vkey)', '/v1/model/info', key1b)).status, 200);
    assert.equal(
      (await call('key info by secret', `/key/info?key=${encodeURIComponent(CUSTOM_KEY)}`, MASTER)).status,
      200,
    );
    assert.equal((await call('key info self', '/key/info', key1b)).status, 200);
    assert.equal((await call('key list (admin JWT)', '/key/list?return_full_object=true', adminJwt)).status, 200);
    assert.equal((await call('key list (master)', '/key/list', MASTER)).status, 200);
    assert.equal((await call('models (team JWT)', '/v1/models', teamJwt)).status, 200);

    // Spend is flushed on SIGTERM, so the database holds everything it ever will.
    assert.equal(await gw.stop('SIGTERM'), 0);
    const logs = gw.output();

    // The scenario really used every secret: the upstream saw its keys, the logs are at debug level and plentiful.
    const sentKeys = upstream.requests.map((r) => String(r.headers['api-key'] ?? r.headers.authorization ?? ''));
    for (const k of [AZURE_KEY, OPENAI_KEY, LEAKY_KEY])
      assert.ok(
        sentKeys.some((s) => s.includes(k)),
        `the upstream received ${k.slice(0, 8)}...`,
      );
    assert.match(logs, /"level":"debug"/);
    assert.ok(
      logs.split('\n').filter((l) => l.includes('"msg":"request"')).length >= seen.length,
      'every request was logged',
    );

    const secrets = [
      MASTER,
      AZURE_KEY,
      OPENAI_KEY,
      LEAKY_KEY,
      WRONG_KEY,
      CUSTOM_KEY,
      key1,
      key1b,
      adminJwt,
      teamJwt,
      forgedJwt,
    ];
    const needles = new Map<string, string>(); // needle -> the secret it stands for
    for (const s of secrets) {
      needles.set(s, s);
      if (s.startsWith('sk-')) needles.set(s.slice(3), s);
      if (s.split('.').length === 3) needles.set(s.split('.')[2], s);
    }
    const leaks: string[] = [];
    const scan = (where: string, text: string, allowed: string[] = []) => {
      for (const [needle, secret] of needles)
        if (!allowed.includes(secret) && text.includes(needle)) leaks.push(`${where}: ${secret.slice(0, 12)}...`);
    };
    logs.split('\n').forEach((line, i) => scan(`log line ${i + 1}`, line));
    for (const s of seen) {
      scan(`${s.what}: headers`, s.headers);
      scan(`${s.what}: body`, s.body, s.mayShow);
    }
    const tables = await sql<{ table_name: string }>(
      db.url,
      `SELECT table_name FROM information_schema.tables WHERE table_schema = 'public' AND table_type = 'BASE TABLE'`,
    );
    assert.ok(tables.some((t) => t.table_name === 'virtual_keys') && tables.some((t) => t.table_name === 'audit_log'));
    let rows = 0;
    for (const { table_name } of tables) {
      for (const r of await sql<{ row: string }>(db.url, `SELECT row_to_json(t)::text AS row FROM "${table_name}" t`)) {
        rows++;
        scan(`table ${table_name}`, r.row);
      }
    }
    assert.deepEqual(leaks, []);

    // The database holds the keys by hash only, and the spend of the calls made.
    const sha = (s: string) => createHash('sha256').update(s).digest('hex');
    const stored = await sql<{ token: string; key_name: string; spend: number }>(
      db.url,
      'SELECT token, key_name, spend FROM virtual_keys ORDER BY created_at',
    );
    assert.deepEqual(stored.map((k) => k.token).sort(), [sha(key1b), sha(CUSTOM_KEY)].sort());
    assert.ok(
      stored.every((k) => /^[0-9a-f]{64}$/.test(k.token) && /^sk-\.\.\.[A-Za-z0-9_-]{4}$/.test(k.key_name)),
      JSON.stringify(stored),
    );
    assert.ok(stored.find((k) => k.token === sha(key1b))!.spend > 0, 'the calls were accounted');
    assert.ok(rows >= 6, `${rows} rows scanned`);
  });
});
