import assert from 'node:assert/strict';
import { createServer, connect, type Server, type Socket } from 'node:net';
import { after, before, describe, it } from 'node:test';
import Redis from 'ioredis';
import { limitKeys, type InProcessGateway } from '../support/gateway';
import { generateKey } from '../support/management-api';
import { oneModelYaml, startProxy, type ProxySetup } from '../support/proxy-setup';
import { chatChunks, chatCompletion } from '../support/upstream';

/**
 * Shared limits as states: a parallel slot is renewed while its call runs, however long,
 * and freed only when its holder stops renewing it (it died); a Redis that stops answering costs one command
 * timeout, not one per call, and the shared limits come back when it answers.
 */
const MASTER = 'sk-master-redis-state-3a9';
const REDIS_URL = process.env.TEST_REDIS_URL ?? 'redis://127.0.0.1:6379';

const generate = (gw: InProcessGateway, fields: object) => generateKey(gw.url, MASTER, fields);

async function chat(gw: InProcessGateway, key: string, stream = false): Promise<{ status: number; text: string }> {
  const res = await fetch(`${gw.url}/v1/chat/completions`, {
    method: 'POST',
    headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json' },
    body: JSON.stringify({ model: 'm', stream, messages: [{ role: 'user', content: 'hi' }] }),
  });
  return { status: res.status, text: await res.text() };
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** A TCP proxy to Redis that can stop forwarding (both ways, bytes held, not lost) and start again. */
async function startRedisProxy(): Promise<{ url: string; blackhole(): void; heal(): void; close(): Promise<void> }> {
  const target = new URL(REDIS_URL);
  let holding = false;
  const flushers: (() => void)[] = [];
  const sockets = new Set<Socket>();
  const server: Server = createServer((client) => {
    const up = connect(Number(target.port || 6379), target.hostname);
    sockets.add(client).add(up);
    const toUp: Buffer[] = [];
    const toClient: Buffer[] = [];
    client.on('data', (d: Buffer) => (holding ? toUp.push(d) : up.write(d)));
    up.on('data', (d: Buffer) => (holding ? toClient.push(d) : client.write(d)));
    flushers.push(() => {
      for (const d of toUp.splice(0)) up.write(d);
      for (const d of toClient.splice(0)) client.write(d);
    });
    const end = () => {
      client.destroy();
      up.destroy();
    };
    client.on('error', end).on('close', end);
    up.on('error', end).on('close', end);
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const port = (server.address() as { port: number }).port;
  return {
    url: `redis://127.0.0.1:${port}`,
    blackhole: () => (holding = true),
    heal: () => {
      holding = false;
      for (const f of flushers) f();
    },
    close: async () => {
      for (const s of sockets) s.destroy();
      await new Promise((r) => server.close(r));
    },
  };
}

describe('shared limits through Redis: slots renewed while calls run, Redis failure as a state', () => {
  let gw: InProcessGateway;
  let setup: ProxySetup | undefined;
  let proxy: Awaited<ReturnType<typeof startRedisProxy>>;
  const redis = new Redis(REDIS_URL, { maxRetriesPerRequest: 1 });
  let streamGate: () => void = () => undefined;

  before(async () => {
    proxy = await startRedisProxy();
    setup = await startProxy({
      database: 'gw_redis_state',
      apiKey: MASTER,
      env: { REDIS_URL: proxy.url, LIMIT_LEASE_SECONDS: '2' },
      respond: (req) => {
        if (req.body?.stream !== true) return { json: chatCompletion('ok') };
        const [first, ...rest] = chatChunks(['a', ' long', ' stream']);
        return { sse: [first, () => new Promise<void>((r) => (streamGate = r)), ...rest] };
      },
      yaml: (upstream) => oneModelYaml(MASTER, upstream),
    });
    ({ gw } = setup);
  });
  after(async () => {
    streamGate();
    await setup?.close();
    await proxy?.close();
    await redis.quit();
  });

  it('a stream outliving the lease keeps its slot; a slot whose holder died is freed after the lease', async () => {
    const k = await generate(gw, { max_parallel_requests: 1 });
    const res = await fetch(`${gw.url}/v1/chat/completions`, {
      method: 'POST',
      headers: { authorization: `Bearer ${k.key}`, 'content-type': 'application/json' },
      body: JSON.stringify({ model: 'm', stream: true, messages: [{ role: 'user', content: 'hi' }] }),
    });
    assert.equal(res.status, 200);
    const reader = res.body!.getReader();
    await reader.read(); // the first chunk: the stream runs
    await sleep(3_500); // past the 2 s lease
    const second = await chat(gw, k.key);
    assert.equal(second.status, 429, `the running stream still holds the key's one slot: ${second.text}`);
    streamGate();
    while (!(await reader.read()).done);
    assert.equal((await chat(gw, k.key)).status, 200, 'freed when the stream ended');

    // An instance that died holding the slot (its entry is never renewed): free once the lease has passed.
    const [sec, micro] = await redis.time();
    await redis.zadd(
      `${limitKeys(gw, `k:${k.token}`)}par`,
      Number(sec) * 1000 + Math.floor(Number(micro) / 1000),
      'dead:1',
    );
    assert.equal((await chat(gw, k.key)).status, 429, 'held by the dead instance meanwhile');
    await sleep(2_500);
    assert.equal((await chat(gw, k.key)).status, 200, 'the dead holder stopped renewing it');
  });

  it('a max_tokens of 1e20 or a huge n is decided by the shared limits, not by a Redis error', async () => {
    const k = await generate(gw, { tpm_limit: 1_000_000 });
    for (const extra of [{ max_tokens: 1e20 }, { max_tokens: 100, n: 1e300 }]) {
      const res = await fetch(`${gw.url}/v1/chat/completions`, {
        method: 'POST',
        headers: { authorization: `Bearer ${k.key}`, 'content-type': 'application/json' },
        body: JSON.stringify({ model: 'm', messages: [{ role: 'user', content: 'hi' }], ...extra }),
      });
      assert.equal(res.status, 200, await res.text());
    }
    assert.match(await (await fetch(`${gw.url}/metrics`)).text(), /^gateway_redis_breaker_open 0$/m);
    assert.doesNotMatch(gw.logs.text(), /redis rate limiting unavailable|redis refused a limit command/);
    const slots = await redis.hgetall(`${limitKeys(gw, `k:${k.token}`)}tpm`);
    assert.ok(Object.keys(slots).length > 0, 'counted in Redis');
  });

  it('Redis blackholed: after the first timeout calls decide locally at once; shared limits return once it answers', async () => {
    const k = await generate(gw, { rpm_limit: 1000 });
    const counted = async () => {
      const slots = await redis.hgetall(`${limitKeys(gw, `k:${k.token}`)}rpm`);
      return Object.values(slots).reduce((a, b) => a + Number(b), 0);
    };
    assert.equal((await chat(gw, k.key)).status, 200);
    assert.equal(await counted(), 1, 'counted in Redis');

    proxy.blackhole();
    const first = await chat(gw, k.key);
    assert.equal(first.status, 200, 'served with in-process limits');
    const times: number[] = [];
    for (let i = 0; i < 10; i++) {
      const t0 = performance.now();
      assert.equal((await chat(gw, k.key)).status, 200);
      times.push(performance.now() - t0);
    }
    assert.ok(
      Math.max(...times) < 700,
      `no call waits for Redis' 1 s command timeout: ${times.map(Math.round).join(', ')} ms`,
    );
    assert.match(gw.logs.text(), /redis rate limiting unavailable/);
    const metrics = await (await fetch(`${gw.url}/metrics`)).text();
    assert.match(metrics, /^gateway_redis_breaker_open 1$/m);

    proxy.heal();
    const deadline = Date.now() + 10_000;
    while (!/redis rate limiting answers again/.test(gw.logs.text())) {
      assert.ok(Date.now() < deadline, 'the breaker closed once Redis answered');
      await sleep(100);
    }
    assert.match(await (await fetch(`${gw.url}/metrics`)).text(), /^gateway_redis_breaker_open 0$/m);
    const before = await counted();
    assert.equal((await chat(gw, k.key)).status, 200);
    assert.equal(await counted(), before + 1, 'counted in Redis again');
    assert.equal(gw.logs.text().match(/redis rate limiting unavailable/g)?.length, 1, 'one line when it opened');
  });
});
