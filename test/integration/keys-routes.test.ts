import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import { readJson, startGateway, type InProcessGateway } from '../support/gateway';
import { startOidcProvider, type TestOidcProvider } from '../support/oidc';
import { createTestDatabase, sql, type TestDatabase } from '../support/postgres';
import { startProxy, type ProxyOnDatabase } from '../support/proxy-setup';

const MASTER = 'sk-master-keys-routes-0001';
const sha256 = (s: string) => createHash('sha256').update(s).digest('hex');
const MANAGEMENT: [string, string][] = [
  ['POST', '/key/generate'],
  ['POST', '/key/update'],
  ['POST', '/key/delete'],
  ['POST', '/key/regenerate'],
  ['GET', '/key/list'],
  ['POST', '/key/block'],
  ['POST', '/key/unblock'],
];

describe('keys: management routes (PostgreSQL, real auth guard)', () => {
  let gw: InProcessGateway;
  let db: TestDatabase;
  let idp: TestOidcProvider;
  let setup: ProxyOnDatabase | undefined;
  const secrets: string[] = [];

  async function api(method: string, path: string, body?: unknown, token = MASTER) {
    const res = await fetch(gw.url + path, {
      method,
      headers: {
        authorization: `Bearer ${token}`,
        ...(body !== undefined ? { 'content-type': 'application/json' } : {}),
      },
      body: body !== undefined ? JSON.stringify(body) : undefined,
    });
    const json = await readJson(res);
    return { status: res.status, body: json, headers: res.headers };
  }
  async function generate(body: object = {}, token = MASTER) {
    const r = await api('POST', '/key/generate', body, token);
    assert.equal(r.status, 200, JSON.stringify(r.body));
    secrets.push(r.body.key);
    return r.body;
  }
  function assertError(
    r: { status: number; body: { error?: Record<string, unknown> } },
    status: number,
    message?: RegExp,
  ) {
    assert.equal(r.status, status, JSON.stringify(r.body));
    assert.deepEqual(Object.keys(r.body.error ?? {}).sort(), ['code', 'message', 'param', 'type']);
    if (message) assert.match(String(r.body.error!.message), message);
  }

  before(async () => {
    idp = await startOidcProvider({
      clients: [{ clientId: 'admin-app', scope: 'litellm_proxy_admin' }, { clientId: 'team-a' }],
    });
    setup = await startProxy({
      database: 'gw_keys_routes',
      apiKey: MASTER,
      env: { JWT_PUBLIC_KEY_URL: idp.jwksUri },
      yaml: `general_settings:\n  master_key: ${MASTER}\n  enable_jwt_auth: true\n`,
    });
    ({ gw, db } = setup);
  });
  after(async () => {
    await setup?.close();
    await idp?.stop();
  });

  it('POST /key/generate {} gives an unrestricted key: secret once, its hash as token, LiteLLM field names', async () => {
    const k = await generate();
    assert.match(k.key, /^sk-[A-Za-z0-9_-]{43}$/);
    assert.equal(k.token, sha256(k.key));
    assert.equal(k.key_name, `sk-...${k.key.slice(-4)}`);
    for (const field of [
      'key_alias',
      'models',
      'spend',
      'max_budget',
      'expires',
      'rpm_limit',
      'tpm_limit',
      'max_parallel_requests',
      'metadata',
      'team_id',
      'user_id',
      'allowed_routes',
      'blocked',
      'created_at',
      'updated_at',
      'created_by',
    ]) {
      assert.ok(field in k, field);
    }
    assert.deepEqual(
      [k.models, k.spend, k.max_budget, k.expires, k.blocked, k.created_by],
      [[], 0, null, null, false, 'master_key'],
    );
    const own = await api('GET', '/key/info', undefined, k.key);
    assert.equal(own.status, 200);
    assert.equal(own.body.key, k.token);
    assert.equal(own.body.info.token, k.token);
    assert.equal(JSON.stringify(own.body).includes(k.key), false, 'the secret is shown only once');
  });

  it('POST /key/generate with every field, a custom key and a duration', async () => {
    const custom = `sk-custom-${Date.now()}-abcdefgh`;
    const before = Date.now();
    const k = await generate({
      key: custom,
      key_alias: 'full-key',
      models: ['gpt-a', 'gpt-b'],
      duration: '24h',
      max_budget: 12.5,
      rpm_limit: 60,
      tpm_limit: 9000,
      max_parallel_requests: 4,
      metadata: { owner: 'team-x', n: 1 },
      team_id: 'team-x',
      user_id: 'user-1',
      allowed_routes: ['/chat/completions', '/key/info'],
    });
    assert.equal(k.key, custom);
    assert.equal(k.token, sha256(custom));
    const expires = Date.parse(k.expires);
    assert.ok(expires >= before + 86_400_000 - 1000 && expires <= Date.now() + 86_400_000 + 1000);
    assert.deepEqual(
      [
        k.key_alias,
        k.models,
        k.max_budget,
        k.rpm_limit,
        k.tpm_limit,
        k.max_parallel_requests,
        k.metadata,
        k.team_id,
        k.user_id,
        k.allowed_routes,
      ],
      [
        'full-key',
        ['gpt-a', 'gpt-b'],
        12.5,
        60,
        9000,
        4,
        { owner: 'team-x', n: 1 },
        'team-x',
        'user-1',
        ['/chat/completions', '/key/info'],
      ],
    );
    assertError(await api('POST', '/key/generate', { key: custom }), 400, /already exists/);
    const sameTeam = await api('POST', '/key/generate', { key_alias: 'full-key', team_id: 'team-x' });
    assertError(sameTeam, 400, /key_alias/);
    assert.equal(sameTeam.body.error.code, 'key_alias_taken');
  });

  it('refuses bad bodies with 400 naming the field', async () => {
    assertError(
      await api('POST', '/key/generate', { models: ['x'], budget: 5, team: 't' }),
      400,
      /Unknown fields.*budget, team/,
    );
    assertError(await api('POST', '/key/generate', { rpm_limit: -1 }), 400, /rpm_limit/);
    assertError(await api('POST', '/key/generate', { max_budget: 'lots' }), 400, /max_budget/);
    assertError(await api('POST', '/key/generate', { duration: '10 years' }), 400, /duration/);
    const notSk = await api('POST', '/key/generate', { key: 'my-own-key-without-prefix' });
    assertError(notSk, 400, /must start with sk-/);
    assert.equal(JSON.stringify(notSk.body).includes('my-own-key-without-prefix'), false);
    assertError(await api('POST', '/key/generate', { key: 'sk-short' }), 400, /at least 20/);
    // The master key as a key's secret: its hash would be stored, and the key would act once the master key changes.
    const asMaster = await api('POST', '/key/generate', { key: MASTER });
    assertError(asMaster, 400, /key must not be the master key/);
    const rotate = { key: sha256('sk-some-key-of-this-gateway'), new_key: MASTER };
    assertError(await api('POST', '/key/regenerate', rotate), 400, /new_key must not/);
    const rows = await sql(db.url, 'SELECT 1 FROM virtual_keys WHERE token = $1', [sha256(MASTER)]);
    assert.equal(rows.length, 0, "the master key's hash is stored nowhere");
    assertError(await api('POST', '/key/generate', [1]), 400, /JSON object/);
    assertError(await api('POST', '/key/update', { models: [] }), 400, /key/);
    assertError(await api('POST', '/key/update', { key: 'x', colour: 'red' }), 400, /colour/);
    assertError(await api('POST', '/key/delete', {}), 400, /keys, key_aliases/);
    assertError(await api('POST', '/key/block', { key: 'x', reason: 'y' }), 400, /reason/);
    assertError(await api('GET', '/key/list?page=0'), 400, /page/);
    assertError(await api('GET', '/key/list?order=desc'), 400, /order/);
    assertError(await api('GET', '/key/info?key=a&extra=1'), 400, /extra/);
    const badJson = await fetch(gw.url + '/key/generate', {
      method: 'POST',
      headers: { authorization: `Bearer ${MASTER}`, 'content-type': 'application/json' },
      body: '{oops',
    });
    assert.equal(badJson.status, 400);
  });

  it('GET /key/info by secret or token; unknown 404; a virtual key sees only itself', async () => {
    const a = await generate({ key_alias: 'info-a' });
    const b = await generate();
    for (const ref of [a.key, a.token]) {
      const r = await api('GET', `/key/info?key=${encodeURIComponent(ref)}`);
      assert.equal(r.status, 200);
      assert.equal(r.body.key, a.token);
      assert.equal(r.body.info.key_alias, 'info-a');
      assert.equal('key' in r.body.info, false);
    }
    assertError(await api('GET', `/key/info?key=${sha256('nope')}`), 404, /Key not found/);
    const unknownSecret = await api('GET', '/key/info?key=sk-this-key-does-not-exist-123');
    assertError(unknownSecret, 404);
    assert.equal(JSON.stringify(unknownSecret.body).includes('sk-this-key-does-not-exist-123'), false);
    assertError(await api('GET', '/key/info'), 400, /key/);
    assert.equal((await api('GET', `/key/info?key=${a.token}`, undefined, a.key)).status, 200, 'its own info by token');
    assertError(await api('GET', `/key/info?key=${b.token}`, undefined, a.key), 403);
    assertError(await api('GET', `/key/info?key=${b.key}`, undefined, a.key), 403);
  });

  it('POST /key/update changes fields, is seen at once, and 404s an unknown key', async () => {
    const k = await generate({ models: ['m1'], rpm_limit: 5 });
    const r = await api('POST', '/key/update', {
      key: k.key,
      models: ['m2', 'm3'],
      rpm_limit: null,
      metadata: { a: 1 },
      duration: '1h',
      user_id: 'u9',
    });
    assert.equal(r.status, 200, JSON.stringify(r.body));
    assert.deepEqual(
      [r.body.models, r.body.rpm_limit, r.body.metadata, r.body.user_id, r.body.updated_by],
      [['m2', 'm3'], null, { a: 1 }, 'u9', 'master_key'],
    );
    assert.ok(r.body.expires);
    assert.equal(JSON.stringify(r.body).includes(k.key), false, 'update never echoes the secret');
    const info = await api('GET', '/key/info', undefined, k.key);
    assert.deepEqual(info.body.info.models, ['m2', 'm3']);
    assertError(await api('POST', '/key/update', { key: sha256('missing'), models: [] }), 404);
    assertError(await api('POST', '/key/update', { key: 'garbage', models: [] }), 404);
  });

  it('POST /key/block and /key/unblock: a blocked key is refused on its next request', async () => {
    const k = await generate();
    assert.equal((await api('GET', '/key/info', undefined, k.key)).status, 200);
    const blocked = await api('POST', '/key/block', { key: k.token });
    assert.equal(blocked.status, 200);
    assert.equal(blocked.body.blocked, true);
    assertError(await api('GET', '/key/info', undefined, k.key), 401, /blocked/);
    const unblocked = await api('POST', '/key/unblock', { key: k.key });
    assert.equal(unblocked.body.blocked, false);
    assert.equal((await api('GET', '/key/info', undefined, k.key)).status, 200);
    assertError(await api('POST', '/key/block', { key: sha256('none') }), 404);
  });

  it('POST /key/regenerate (body and path forms): the old secret fails on the very next request', async () => {
    const k = await generate({ key_alias: 'regen-me', max_budget: 3 });
    assert.equal((await api('GET', '/key/info', undefined, k.key)).status, 200);
    const r = await api('POST', '/key/regenerate', { key: k.key });
    assert.equal(r.status, 200, JSON.stringify(r.body));
    secrets.push(r.body.key);
    assert.notEqual(r.body.key, k.key);
    assert.equal(r.body.token, sha256(r.body.key));
    assert.deepEqual([r.body.key_alias, r.body.max_budget], ['regen-me', 3]);
    assertError(await api('GET', '/key/info', undefined, k.key), 401);
    assert.equal((await api('GET', '/key/info', undefined, r.body.key)).status, 200);

    const byPath = await api('POST', `/key/${r.body.token}/regenerate`, { max_budget: 5 });
    assert.equal(byPath.status, 200, JSON.stringify(byPath.body));
    secrets.push(byPath.body.key);
    assert.equal(byPath.body.max_budget, 5);
    assertError(await api('GET', '/key/info', undefined, r.body.key), 401);
    assert.equal((await api('GET', '/key/info', undefined, byPath.body.key)).status, 200);

    const custom = `sk-regenerated-${Date.now()}-xyz`;
    const withNew = await api('POST', `/key/${encodeURIComponent(byPath.body.key)}/regenerate`, { new_key: custom });
    assert.equal(withNew.status, 200);
    assert.equal(withNew.body.key, custom);
    secrets.push(custom);
    // Regenerating a key to its own secret rotates nothing: refused, and the key keeps working.
    const same = await api('POST', '/key/regenerate', { key: custom, new_key: custom });
    assertError(same, 400, /new_key/);
    assert.equal(same.body.error.param, 'new_key');
    assert.equal(JSON.stringify(same.body).includes(custom), false, 'the refusal does not echo the secret');
    assert.equal((await api('GET', '/key/info', undefined, custom)).status, 200);
    assertError(await api('POST', '/key/regenerate', { key: byPath.body.key }), 404);
    assertError(await api('POST', '/key/regenerate', {}), 400, /key/);
  });

  it('POST /key/delete by secrets, tokens and aliases; all or nothing; deleted keys are refused', async () => {
    const a = await generate({ key_alias: 'del-a' });
    const b = await generate();
    const c = await generate();
    const missing = await api('POST', '/key/delete', { keys: [a.key, sha256('ghost')] });
    assertError(missing, 404, /nothing was deleted/);
    assert.equal((await api('GET', '/key/info', undefined, a.key)).status, 200, 'nothing deleted on a 404');
    assertError(await api('POST', '/key/delete', { key_aliases: ['no-such-alias'] }), 404, /no-such-alias/);
    const r = await api('POST', '/key/delete', { keys: [b.key, c.token], key_aliases: ['del-a'] });
    assert.equal(r.status, 200, JSON.stringify(r.body));
    assert.deepEqual([...r.body.deleted_keys].sort(), [a.token, b.token, c.token].sort());
    assert.equal(JSON.stringify(r.body).includes('sk-'), false, 'delete never echoes a secret');
    for (const k of [a, b, c]) assertError(await api('GET', '/key/info', undefined, k.key), 401);
    assertError(await api('POST', '/key/delete', { keys: [a.token] }), 404);
  });

  it('key_alias is unique per team (keys without a team are one namespace); delete by a shared alias is refused', async () => {
    const a = await generate({ key_alias: 'shared-alias', team_id: 'alias-team-a' });
    const b = await generate({ key_alias: 'shared-alias', team_id: 'alias-team-b' });
    const none = await generate({ key_alias: 'shared-alias' });
    for (const body of [
      { key_alias: 'shared-alias', team_id: 'alias-team-a' },
      { key_alias: 'shared-alias' },
      { key_alias: 'shared-alias', team_id: null },
    ]) {
      const r = await api('POST', '/key/generate', body);
      assertError(r, 400, /key_alias/);
      assert.equal(r.body.error.code, 'key_alias_taken');
    }
    // A key renamed, or moved, onto an alias its (new) team already has.
    const other = await generate({ key_alias: 'other-alias', team_id: 'alias-team-a' });
    assertError(await api('POST', '/key/update', { key: other.token, key_alias: 'shared-alias' }), 400, /key_alias/);
    const moved = await api('POST', '/key/update', { key: b.token, team_id: 'alias-team-a' });
    assertError(moved, 400, /key_alias/);
    assert.equal(
      (await api('POST', '/key/update', { key: other.token, key_alias: 'shared-alias', team_id: 'alias-team-c' }))
        .status,
      200,
    );
    const listed = await api('GET', '/key/list?key_alias=shared-alias');
    assert.deepEqual([...listed.body.keys].sort(), [a.token, b.token, none.token, other.token].sort());
    // An alias several keys hold names no one key: nothing is deleted, the answer says which teams hold it.
    const ambiguous = await api('POST', '/key/delete', { key_aliases: ['shared-alias'] });
    assertError(ambiguous, 400, /"shared-alias".*"alias-team-a".*"alias-team-b".*nothing was deleted/);
    assert.equal(ambiguous.body.error.code, 'key_alias_ambiguous');
    for (const k of [a, b, none, other]) assert.equal((await api('GET', '/key/info', undefined, k.key)).status, 200);
    const byKeys = await api('POST', '/key/delete', { keys: [a.token, b.token, other.token] });
    assert.equal(byKeys.status, 200, JSON.stringify(byKeys.body));
    // Held by one key again: deleted by its alias.
    assert.deepEqual((await api('POST', '/key/delete', { key_aliases: ['shared-alias'] })).body.deleted_keys, [
      none.token,
    ]);
  });

  it('GET /key/list pages and filters', async () => {
    const team = `team-list-${Date.now()}`;
    const made = [];
    for (let i = 0; i < 5; i++) made.push(await generate({ team_id: team, user_id: i % 2 ? 'odd' : 'even' }));
    const p1 = await api('GET', `/key/list?team_id=${team}&size=2&page=1`);
    assert.equal(p1.status, 200);
    assert.deepEqual(
      [p1.body.total_count, p1.body.current_page, p1.body.total_pages, p1.body.keys.length],
      [5, 1, 3, 2],
    );
    const p3 = await api('GET', `/key/list?team_id=${team}&size=2&page=3`);
    assert.equal(p3.body.keys.length, 1);
    const all = [
      ...p1.body.keys,
      ...(await api('GET', `/key/list?team_id=${team}&size=2&page=2`)).body.keys,
      ...p3.body.keys,
    ];
    assert.deepEqual(all.sort(), made.map((k) => k.token).sort(), 'tokens, each once');
    const odd = await api('GET', `/key/list?team_id=${team}&user_id=odd&return_full_object=true`);
    assert.equal(odd.body.total_count, 2);
    assert.ok(
      odd.body.keys.every(
        (k: { user_id: string; token: string }) => k.user_id === 'odd' && typeof k.token === 'string',
      ),
    );
    assert.equal(JSON.stringify(odd.body).includes('"key":'), false);
    // The flag's other spellings, as Python's requests sends them (True) or as 1; anything else is a 400.
    for (const spelling of ['True', '1'])
      assert.deepEqual(
        (await api('GET', `/key/list?team_id=${team}&user_id=odd&return_full_object=${spelling}`)).body,
        odd.body,
        spelling,
      );
    assert.equal(
      (await api('GET', `/key/list?team_id=${team}&return_full_object=False`)).body.keys.every(
        (k: unknown) => typeof k === 'string',
      ),
      true,
    );
    assert.equal((await api('GET', '/key/list?return_full_object=maybe')).status, 400);
    const alias = await api('GET', '/key/list?key_alias=full-key');
    assert.equal(alias.body.total_count, 1);
  });

  it('an expired key is refused with 401 saying it expired', async () => {
    const k = await generate({ duration: '1s' });
    await new Promise((r) => setTimeout(r, 1_100));
    assertError(await api('GET', '/key/info', undefined, k.key), 401, /expired/);
  });

  it('an admin JWT manages keys and is recorded as creator and audit actor with its client', async () => {
    const jwt = await idp.token('admin-app', 'litellm_proxy_admin');
    const k = await generate({ key_alias: 'by-admin-jwt' }, jwt);
    assert.match(k.created_by, /^jwt:/);
    const blocked = await api('POST', '/key/block', { key: k.token }, jwt);
    assert.equal(blocked.status, 200);
    const rows = await sql<{ actor: string; actor_role: string; action: string; details: { client_id?: string } }>(
      db.url,
      'SELECT actor, actor_role, action, details FROM audit_log WHERE key_hash = $1 ORDER BY id',
      [k.token],
    );
    assert.deepEqual(
      rows.map((r) => r.action),
      ['key.generate', 'key.block'],
    );
    assert.ok(
      rows.every((r) => r.actor === k.created_by && r.actor_role === 'admin' && r.details.client_id === 'admin-app'),
    );
  });

  it('an admin JWT may use the path form /key/{key}/regenerate', async () => {
    const jwt = await idp.token('admin-app', 'litellm_proxy_admin');
    const k = await generate({}, jwt);
    const r = await api('POST', `/key/${k.token}/regenerate`, {}, jwt);
    assert.equal(r.status, 200, JSON.stringify(r.body));
    secrets.push(r.body.key);
  });

  it('a team JWT is refused (403) on every management route, and a virtual key too', async () => {
    const jwt = await idp.token('team-a');
    const k = await generate();
    for (const [method, path] of MANAGEMENT) {
      const body = method === 'POST' ? { key: k.token } : undefined;
      assertError(await api(method, path, body, jwt), 403, /role "team"/);
      assertError(await api(method, path, body, k.key), 403);
    }
    assertError(await api('POST', `/key/${k.token}/regenerate`, {}, jwt), 403);
    assertError(await api('POST', `/key/${k.token}/regenerate`, {}, k.key), 403);
    assertError(await api('POST', '/key/generate', {}, 'sk-not-a-real-key-000000000'), 401);
    assertError(await api('POST', '/key/generate', {}, ''), 401);
  });

  it("a team JWT reads /key/info only for its own team's keys; another team's key is answered as unknown", async () => {
    const jwt = await idp.token('team-a');
    const own = await generate({ team_id: 'team-a' });
    const other = await generate({ team_id: 'team-b' });
    const none = await generate({});
    for (const ref of [own.key, own.token]) {
      const r = await api('GET', `/key/info?key=${encodeURIComponent(ref)}`, undefined, jwt);
      assert.equal(r.status, 200, JSON.stringify(r.body));
      assert.equal(r.body.info.team_id, 'team-a');
    }
    for (const ref of [other.key, other.token, none.token])
      assertError(await api('GET', `/key/info?key=${encodeURIComponent(ref)}`, undefined, jwt), 404, /Key not found/);
    assert.equal((await api('GET', `/key/info?key=${other.token}`)).status, 200, 'the master key reads any key');
  });

  it('every change wrote an audit row (who, what, which key, when)', async () => {
    const rows = await sql<{ actor: string; action: string; key_hash: string | null; created_at: Date }>(
      db.url,
      "SELECT actor, action, key_hash, created_at FROM audit_log WHERE action LIKE 'key.%'",
    );
    const actions = new Set(rows.map((r) => r.action));
    for (const a of ['key.generate', 'key.update', 'key.block', 'key.unblock', 'key.regenerate', 'key.delete'])
      assert.ok(actions.has(a), a);
    assert.ok(
      rows.every((r) => r.actor && r.key_hash && /^[0-9a-f]{64}$/.test(r.key_hash) && r.created_at instanceof Date),
    );
  });

  it('the database holds no secret: every text, json and array column of every table', async () => {
    assert.ok(secrets.length >= 10);
    const columns = await sql<{ table_name: string; column_name: string }>(
      db.url,
      `SELECT table_name, column_name FROM information_schema.columns
       WHERE table_schema = 'public' AND data_type IN ('text', 'character varying', 'character', 'json', 'jsonb', 'ARRAY')`,
    );
    assert.ok(columns.some((c) => c.table_name === 'virtual_keys' && c.column_name === 'key_name'));
    const patterns = secrets.map((s) => `%${s.slice(3)}%`); // the random part, with or without the sk- prefix
    const control = await sql<{ n: number }>(
      db.url,
      `SELECT count(*)::int AS n FROM "audit_log" WHERE "details"::text LIKE ANY($1)`,
      [['%full-key%']],
    );
    assert.equal(control[0].n, 1, 'the scan does find a value that is there');
    for (const { table_name, column_name } of columns) {
      const [hit] = await sql<{ n: number }>(
        db.url,
        `SELECT count(*)::int AS n FROM "${table_name}" WHERE "${column_name}"::text LIKE ANY($1)`,
        [patterns],
      );
      assert.equal(hit.n, 0, `${table_name}.${column_name} holds a secret`);
    }
    const stored = await sql<{ token: string }>(db.url, 'SELECT token FROM virtual_keys');
    assert.ok(stored.every((r) => /^[0-9a-f]{64}$/.test(r.token)));
  });

  it('no secret reached the logs', () => {
    const text = gw.logs.text();
    for (const s of secrets) assert.equal(text.includes(s.slice(3)), false);
  });
});

describe('keys: general_settings.user_api_key_cache_ttl (a change no broadcast announced)', () => {
  let db: Awaited<ReturnType<typeof createTestDatabase>>;
  const gateways: InProcessGateway[] = [];
  before(async () => {
    db = await createTestDatabase();
  });
  after(async () => {
    for (const gw of gateways) await gw.close();
    await db?.drop();
  });
  const models = async (gw: InProcessGateway, key: string) =>
    (await fetch(`${gw.url}/v1/models`, { headers: { authorization: `Bearer ${key}` } })).status;

  it('a cached key is read again within the configured seconds; with the default 30 s, not within 3 s', async () => {
    const short = await startGateway(`general_settings:\n  master_key: ${MASTER}\n  user_api_key_cache_ttl: 1\n`, {
      DATABASE_URL: db.url,
    });
    gateways.push(short);
    const usual = await startGateway(`general_settings:\n  master_key: ${MASTER}\n`, { DATABASE_URL: db.url });
    gateways.push(usual);
    const res = await fetch(`${short.url}/key/generate`, {
      method: 'POST',
      headers: { authorization: `Bearer ${MASTER}`, 'content-type': 'application/json' },
      body: '{}',
    });
    const { key, token } = (await readJson(res)) as { key: string; token: string };
    assert.equal(await models(short, key), 200);
    assert.equal(await models(usual, key), 200); // both instances now serve the key from their cache
    // Blocked in the database directly: no broadcast, as when a message between instances was lost.
    await sql(db.url, 'UPDATE virtual_keys SET blocked = true WHERE token = $1', [token]);
    const started = Date.now();
    let status = 200;
    while (status === 200 && Date.now() - started < 5_000) {
      await new Promise((r) => setTimeout(r, 100));
      status = await models(short, key);
    }
    assert.equal(status, 401, 'the instance with a 1 s key cache still served the blocked key after 5 s');
    assert.ok(Date.now() - started < 3_000, `took ${Date.now() - started} ms`);
    assert.equal(await models(usual, key), 200, 'the default instance re-read its keys within seconds');
  });
});
