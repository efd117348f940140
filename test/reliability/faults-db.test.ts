import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import OpenAI from 'openai';
import { QUERY_TIMEOUT_MS } from '../../src/database/open-database';
import { startTcpProxy, timed, waitFor, type TcpProxy } from '../support/faults';
import { KeysRepository } from '../../src/keys/keys.repository';
import { SpendWriter } from '../../src/keys/spend/spend-writer.service';
import { readJson, spawnGateway, writeConfig, type InProcessGateway, type SpawnedGateway } from '../support/gateway';
import { startOidcProvider, type TestOidcProvider } from '../support/oidc';
import { createTestDatabase, sql, type TestDatabase } from '../support/postgres';
import { startProxy, type ProxyOnDatabase } from '../support/proxy-setup';
import { chatCompletion, startUpstream, type FakeUpstream } from '../support/upstream';

/**
 * PostgreSQL faults against two production-build gateways on one database, without Redis (key changes travel by
 * LISTEN/NOTIFY). Both reach PostgreSQL through a TCP proxy the test stops (every connection cut, new ones refused)
 * and starts again; the shared PostgreSQL itself is never touched.
 */
const MASTER = 'sk-faults-db-master-0001';
const IN_PRICE = 0.001;
const OUT_PRICE = 0.002;
const USAGE = { prompt_tokens: 11, completion_tokens: 7 };
const COST = USAGE.prompt_tokens * IN_PRICE + USAGE.completion_tokens * OUT_PRICE;
/** Upper bound for any answer while the database is down (the pool's connect timeout is 5 s; refused is immediate). */
const BOUND_MS = 6_000;

interface Answer {
  status: number;
  body: any;
  ms: number;
}

/** A test database behind a TCP proxy the test controls, and a priced config for `upstreamUrl` (JWTs when `jwt`). */
async function proxiedSetup(dbName: string, upstreamUrl: string, upstreamKey: string, jwt = false) {
  const db = await createTestDatabase(dbName);
  const direct = new URL(db.url);
  const proxy = await startTcpProxy(direct.hostname, Number(direct.port || 5432));
  const viaProxy = new URL(db.url);
  viaProxy.port = String(proxy.port);
  const file = writeConfig(`
model_list:
  - model_name: gpt-test
    litellm_params: { model: openai/gpt-upstream, api_base: ${upstreamUrl}, api_key: ${upstreamKey} }
    model_info: { input_cost_per_token: ${IN_PRICE}, output_cost_per_token: ${OUT_PRICE} }
general_settings:
  master_key: ${MASTER}
${jwt ? '  enable_jwt_auth: true\n' : ''}`);
  return { db, proxy, file, databaseUrl: viaProxy.toString() };
}

describe('database faults: PostgreSQL stops and comes back under two running gateways (production build)', () => {
  let db: Awaited<ReturnType<typeof createTestDatabase>>;
  let proxy: TcpProxy;
  let upstream: FakeUpstream;
  let idp: TestOidcProvider;
  let a: SpawnedGateway;
  let b: SpawnedGateway;
  let jwt: string;
  let k1: { key: string; token: string };
  let k2: { key: string; token: string };
  /** Successful model calls per credential, to compare with the spend written. */
  const calls = { k1: 0, jwt: 0, k2: 0 };

  const send = async (
    gw: SpawnedGateway,
    method: string,
    path: string,
    credential: string,
    body?: object,
  ): Promise<Answer> => {
    const { value, ms } = await timed(async () => {
      const res = await fetch(gw.url + path, {
        method,
        headers: { authorization: `Bearer ${credential}`, ...(body ? { 'content-type': 'application/json' } : {}) },
        body: body ? JSON.stringify(body) : undefined,
      });
      return { status: res.status, body: await readJson(res) };
    });
    return { ...value, ms };
  };
  const admin = (gw: SpawnedGateway, path: string, body?: object) =>
    send(gw, body ? 'POST' : 'GET', path, MASTER, body);
  const chat = (gw: SpawnedGateway, credential: string) =>
    send(gw, 'POST', '/v1/chat/completions', credential, {
      model: 'gpt-test',
      messages: [{ role: 'user', content: 'hi' }],
    });
  const readiness = async (gw: SpawnedGateway) => {
    const { value, ms } = await timed(() => fetch(`${gw.url}/health/readiness`));
    return { status: value.status, body: await readJson(value), ms };
  };
  const assertOpenAiError = (r: Answer, status: number, code: string) => {
    assert.equal(r.status, status, JSON.stringify(r.body));
    assert.deepEqual(Object.keys(r.body.error).sort(), ['code', 'message', 'param', 'type']);
    assert.equal(r.body.error.code, code);
    assert.ok(r.ms < BOUND_MS, `answered after ${Math.round(r.ms)} ms`);
  };

  before(async () => {
    upstream = await startUpstream(() => ({ json: chatCompletion('hello', USAGE) }));
    idp = await startOidcProvider({ clients: [{ clientId: 'team-db' }] });
    let file: string;
    let databaseUrl: string;
    ({ db, proxy, file, databaseUrl } = await proxiedSetup(
      'gw_faults_db',
      upstream.url,
      'sk-upstream-faults-db',
      true,
    ));
    const env = { DATABASE_URL: databaseUrl, JWT_PUBLIC_KEY_URL: idp.jwksUri };
    [a, b] = await Promise.all([spawnGateway(['--config', file], env), spawnGateway(['--config', file], env)]);
    jwt = await idp.token('team-db');
  });
  after(async () => {
    await Promise.all([a?.stop('SIGKILL'), b?.stop('SIGKILL')]);
    await proxy?.close();
    await upstream?.close();
    await idp?.stop();
    await db?.drop();
  });

  it('before the outage: keys are created, used on both instances (cached), a JWT calls', async () => {
    k1 = (await admin(a, '/key/generate', { key_alias: 'cached' })).body;
    k2 = (await admin(b, '/key/generate', { key_alias: 'never-used-on-a' })).body; // created on B, never used on A
    assert.match(k1.key, /^sk-/);
    for (const gw of [a, b]) {
      assert.equal((await chat(gw, k1.key)).status, 200);
      calls.k1++;
    }
    assert.equal((await chat(a, jwt)).status, 200);
    calls.jwt++;
    assert.equal((await readiness(a)).status, 200);
  });

  it('while PostgreSQL is down: model calls with cached keys, JWTs and the master key keep working', async () => {
    await proxy.stop();
    for (let i = 0; i < 5; i++) {
      for (const gw of [a, b]) {
        const r = await chat(gw, k1.key);
        assert.equal(r.status, 200, JSON.stringify(r.body));
        assert.ok(r.ms < BOUND_MS);
        calls.k1++;
      }
      assert.equal((await chat(a, jwt)).status, 200);
      calls.jwt++;
    }
    const client = new OpenAI({ apiKey: k1.key, baseURL: `${a.url}/v1`, maxRetries: 0 });
    const completion = await client.chat.completions.create({
      model: 'gpt-test',
      messages: [{ role: 'user', content: 'still there?' }],
    });
    assert.equal(completion.choices[0].message.content, 'hello');
    calls.k1++;
    assert.equal((await chat(a, MASTER)).status, 200);
  });

  it('while PostgreSQL is down: key management answers 503 database_unavailable, readiness 503, in bounded time', async () => {
    assertOpenAiError(await admin(a, '/key/generate', {}), 503, 'database_unavailable');
    assertOpenAiError(await admin(a, '/key/block', { key: k1.key }), 503, 'database_unavailable');
    assertOpenAiError(await admin(a, `/key/info?key=${k1.token}`), 503, 'database_unavailable');
    assertOpenAiError(await admin(b, '/key/list'), 503, 'database_unavailable');
    const generate = await admin(b, '/key/generate', {});
    assertOpenAiError(generate, 503, 'database_unavailable');
    assert.equal(generate.body.error.type, 'service_unavailable');
    assert.match(generate.body.error.message, /database is unavailable/i);
    for (const gw of [a, b]) {
      const r = await readiness(gw);
      assertOpenAiError(r, 503, 'database_unavailable');
      assert.equal(
        r.body.error.message,
        'Not ready: the database is unreachable',
        'no driver text (host, port, user) to an unauthenticated caller',
      );
    }
    // The key still works: the failed block changed nothing.
    assert.equal((await chat(a, k1.key)).status, 200);
    calls.k1++;
  });

  it('while PostgreSQL is down: every key is held, so one made on the other instance works and a made-up one is 401', async () => {
    // A holds every key (bulk-loaded, then kept current from B's broadcast): no database needed to decide.
    assert.equal((await chat(a, k2.key)).status, 200, 'the key made on B, never used on A');
    calls.k2++;
    const upstreamCalls = upstream.requests.length;
    const r = await chat(a, 'sk-never-issued-faults-db-0001');
    assertOpenAiError(r, 401, 'invalid_api_key');
    assert.ok(!JSON.stringify(r.body).includes('sk-never-issued'), 'the key is echoed');
    assert.equal(upstream.requests.length, upstreamCalls, 'an unknown key reached the upstream');
  });

  it('the outage lasts: spend writes and the LISTEN reconnection keep failing (and are retried) until PostgreSQL is back', async () => {
    for (const gw of [a, b]) {
      await waitFor(() => /database listener cannot reconnect yet/.test(gw.output()), 'a failed listener reconnection');
      await waitFor(() => /spend write failed; amounts kept/.test(gw.output()), 'a failed spend write');
    }
    assert.equal((await chat(b, k1.key)).status, 200);
    calls.k1++;
  });

  it('PostgreSQL back: readiness and key management recover without a restart; the spend of the outage is written', async () => {
    await proxy.start();
    for (const gw of [a, b]) await waitFor(async () => (await readiness(gw)).status === 200, 'readiness 200', 15_000);
    await waitFor(async () => (await admin(a, '/key/list')).status === 200, 'key management on A', 10_000);
    assert.equal((await chat(a, k2.key)).status, 200, 'the key made on B, after the outage');
    calls.k2++;
    const expected = { k1: calls.k1 * COST, jwt: calls.jwt * COST, k2: calls.k2 * COST };
    const dbSpend = async () => {
      const keys = await sql<{ token: string; spend: number }>(db.url, 'SELECT token, spend FROM virtual_keys');
      const teams = await sql<{ team_id: string; spend: number }>(db.url, 'SELECT team_id, spend FROM teams');
      return {
        k1: Number(keys.find((r) => r.token === k1.token)?.spend ?? 0),
        k2: Number(keys.find((r) => r.token === k2.token)?.spend ?? 0),
        jwt: Number(teams.find((r) => r.team_id === 'team-db')?.spend ?? 0),
      };
    };
    const close = (x: number, y: number) => Math.abs(x - y) < 1e-9;
    await waitFor(
      async () => {
        const s = await dbSpend();
        return close(s.k1, expected.k1) && close(s.k2, expected.k2) && close(s.jwt, expected.jwt);
      },
      `spend ${JSON.stringify(expected)} in the database`,
      10_000,
    ).catch(async (err) => {
      throw new Error(`${(err as Error).message}; found ${JSON.stringify(await dbSpend())}`);
    });
  });

  it('PostgreSQL back: a key created and blocked on B is seen on A within 2 seconds (the LISTEN connection reconnected)', async () => {
    const k3 = (await admin(b, '/key/generate', { key_alias: 'after-outage' })).body;
    assert.equal((await chat(a, k3.key)).status, 200, 'created on B, accepted on A');
    assert.equal((await admin(b, '/key/block', { key: k3.key })).status, 200);
    const blocked = await waitFor(
      async () => (await chat(a, k3.key)).status === 401,
      'A to refuse the key blocked on B',
      2_000,
    );
    assert.ok(blocked < 2_000);
    assert.equal((await admin(b, '/key/unblock', { key: k3.key })).status, 200);
    await waitFor(async () => (await chat(a, k3.key)).status === 200, 'A to accept the key unblocked on B', 2_000);
  });

  it('a network partition (connections silent, no reset): nothing hangs past the query timeout; healed, all recovers and no spend is lost', async () => {
    // The LISTEN reconnection above dropped A's key cache (messages may have been missed): warm k1 again.
    assert.equal((await chat(a, k1.key)).status, 200);
    calls.k1++;
    assert.equal((await readiness(a)).status, 200, 'A holds an idle pool connection now');
    proxy.blackhole();
    const bound = QUERY_TIMEOUT_MS + 5_000;
    const [unknownKey, info, ready] = await Promise.all([
      chat(a, 'sk-never-issued-faults-db-0002'),
      admin(a, `/key/info?key=${k1.token}`),
      readiness(a),
    ]);
    assertOpenAiError(unknownKey, 401, 'invalid_api_key'); // every key held: refused from memory
    for (const [r, code] of [
      [info, 'database_unavailable'],
      [ready, 'database_unavailable'],
    ] as const) {
      assert.equal(r.status, 503, JSON.stringify(r.body));
      assert.equal(r.body.error.code, code);
      assert.ok(r.ms < bound, `${code}: answered after ${Math.round(r.ms)} ms`);
    }
    const cached = await chat(a, k1.key);
    assert.equal(cached.status, 200);
    calls.k1++;
    proxy.heal();
    await waitFor(async () => (await readiness(a)).status === 200, 'readiness 200 after the partition', 15_000);
    await waitFor(
      async () => (await admin(a, `/key/info?key=${k1.token}`)).status === 200,
      'key management after the partition',
      15_000,
    );
    await waitFor(
      async () => {
        const [row] = await sql<{ spend: number }>(db.url, 'SELECT spend FROM virtual_keys WHERE token = $1', [
          k1.token,
        ]);
        return Math.abs(Number(row.spend) - calls.k1 * COST) < 1e-9;
      },
      'the spend of the call made during the partition, written once',
      15_000,
    );
  });

  it('the logs said what happened, with no secret in them', () => {
    for (const gw of [a, b]) {
      const out = gw.output();
      assert.match(out, /key management is paused|database_unavailable|database is unavailable/i);
      for (const secret of [MASTER, k1.key, k2.key, jwt.split('.')[2], 'sk-upstream-faults-db'])
        assert.ok(!out.includes(secret), 'a secret is in the logs');
    }
    assert.match(a.output(), /broadcast reconnected/);
  });
});

describe('database faults: a spend write whose answer is lost (committed, then the connection broke) is not counted twice', () => {
  let db: TestDatabase;
  let gw: InProcessGateway;
  let setup: ProxyOnDatabase | undefined;
  before(async () => {
    setup = await startProxy({
      database: 'gw_faults_spend',
      apiKey: MASTER,
      yaml: `general_settings:\n  master_key: ${MASTER}\n`,
    });
    ({ db, gw } = setup);
  });
  after(() => setup?.close());

  it('retries the same batch, which the database recognises; newer amounts are still written', async () => {
    const res = await fetch(`${gw.url}/key/generate`, {
      method: 'POST',
      headers: { authorization: `Bearer ${MASTER}`, 'content-type': 'application/json' },
      body: '{}',
    });
    const { token } = await readJson(res);
    const repo = gw.app.get(KeysRepository);
    const spend = gw.app.get(SpendWriter);
    const realAddSpend = repo.addSpend.bind(repo);
    let cut = 1;
    repo.addSpend = async (...args: Parameters<KeysRepository['addSpend']>) => {
      const result = await realAddSpend(...args);
      if (cut-- > 0) throw new Error('Connection terminated unexpectedly'); // committed; the answer never arrives
      return result;
    };
    spend.add(token, 'team-lost-answer', 0.5);
    await spend.flush();
    assert.ok(spend.hasPending, 'the write looked failed to the gateway');
    assert.equal(spend.unflushed(token), 0.5);
    spend.add(token, 'team-lost-answer', 0.25);
    await spend.flush();
    assert.equal(spend.hasPending, false);
    const [key] = await sql<{ spend: number }>(db.url, 'SELECT spend FROM virtual_keys WHERE token = $1', [token]);
    const [team] = await sql<{ spend: number }>(db.url, "SELECT spend FROM teams WHERE team_id = 'team-lost-answer'");
    assert.equal(Number(key.spend), 0.75);
    assert.equal(Number(team.spend), 0.75);
  });
});

describe('spend batch ids: kept a day for retries, then removed by the spend writer', () => {
  let db: TestDatabase;
  let gw: InProcessGateway;
  let setup: ProxyOnDatabase | undefined;
  before(async () => {
    setup = await startProxy({
      database: 'gw_spend_prune',
      apiKey: MASTER,
      yaml: `general_settings:\n  master_key: ${MASTER}\n`,
    });
    ({ db, gw } = setup);
  });
  after(() => setup?.close());

  it('the first write removes ids older than a day and keeps the newer ones', async () => {
    await sql(
      db.url,
      "INSERT INTO spend_batches (id, applied_at) VALUES ('old-batch', now() - interval '2 days'), ('recent-batch', now() - interval '1 hour')",
    );
    const spend = gw.app.get(SpendWriter);
    spend.add(null, 'team-prune', 0.5);
    await spend.flush();
    assert.equal(spend.hasPending, false);
    const ids = (await sql<{ id: string }>(db.url, 'SELECT id FROM spend_batches ORDER BY applied_at')).map(
      (r) => r.id,
    );
    assert.equal(ids.length, 2, `rows: ${ids.join(', ')}`);
    assert.equal(ids[0], 'recent-batch');
    const [team] = await sql<{ spend: number }>(db.url, "SELECT spend FROM teams WHERE team_id = 'team-prune'");
    assert.equal(Number(team.spend), 0.5);
  });
});

describe('database faults: stopped during a network partition, the spend not written is logged for reconciliation', () => {
  let db: Awaited<ReturnType<typeof createTestDatabase>>;
  let proxy: TcpProxy;
  let upstream: FakeUpstream;
  let gw: SpawnedGateway | undefined;
  before(async () => {
    upstream = await startUpstream(() => ({ json: chatCompletion('hello', USAGE) }));
    let file: string;
    let databaseUrl: string;
    ({ db, proxy, file, databaseUrl } = await proxiedSetup('gw_faults_stop', upstream.url, 'sk-upstream-faults-stop'));
    gw = await spawnGateway(['--config', file], { DATABASE_URL: databaseUrl });
  });
  after(async () => {
    if (gw && gw.proc.exitCode === null) await gw.stop('SIGKILL');
    await proxy?.close();
    await upstream?.close();
    await db?.drop();
  });

  it('SIGTERM while every database connection is silent: the process exits in bounded time and logs the amounts', async () => {
    const post = (path: string, credential: string, body: object) =>
      fetch(gw!.url + path, {
        method: 'POST',
        headers: { authorization: `Bearer ${credential}`, 'content-type': 'application/json' },
        body: JSON.stringify(body),
      });
    const created = await post('/key/generate', MASTER, { team_id: 'team-stop' });
    assert.equal(created.status, 200);
    const key = (await readJson(created)) as { key: string; token: string };
    const chat = () =>
      post('/v1/chat/completions', key.key, { model: 'gpt-test', messages: [{ role: 'user', content: 'hi' }] });
    assert.equal((await chat()).status, 200); // the key is cached now
    proxy.blackhole();
    for (let i = 0; i < 3; i++) assert.equal((await chat()).status, 200);
    const { value: code, ms } = await timed(() => gw!.stop('SIGTERM'));
    const out = gw!.output();
    assert.ok(ms < 15_000, `exited after ${Math.round(ms)} ms: ${out.slice(-3000)}`);
    assert.doesNotMatch(out, /shutdown timed out/, 'not forced out before the spend was logged');
    const line = out.split('\n').find((l) => l.includes('amounts logged here for reconciliation'));
    assert.ok(line, `no reconciliation line; exit ${code}; log tail: ${out.slice(-1500)}`);
    const logged = JSON.parse(line) as {
      keys: Record<string, number>;
      teams: Record<string, number>;
      unconfirmedBatch?: { id: string; keys: Record<string, number>; teams: Record<string, number> };
    };
    const keyTotal = (logged.keys[key.token] ?? 0) + (logged.unconfirmedBatch?.keys[key.token] ?? 0);
    const teamTotal = (logged.teams['team-stop'] ?? 0) + (logged.unconfirmedBatch?.teams['team-stop'] ?? 0);
    // Every call's cost is either in the database or in the log line (the first call's may have been written before the partition).
    proxy.heal();
    const [row] = await sql<{ spend: number }>(db.url, 'SELECT spend FROM virtual_keys WHERE token = $1', [key.token]);
    assert.ok(
      Math.abs(Number(row.spend) + keyTotal - 4 * COST) < 1e-9,
      `written ${row.spend} + logged ${keyTotal} != ${4 * COST}`,
    );
    assert.ok(teamTotal >= 3 * COST - 1e-9, `team amounts logged: ${teamTotal}`);
    assert.ok(!out.includes(key.key) && !out.includes(MASTER), 'no secret in the log');
  });
});
