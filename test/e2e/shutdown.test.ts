import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { Agent, request as httpRequest } from 'node:http';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { readJson, spawnGateway, tempDir, writeConfig } from '../support/gateway';
import { createTestDatabase, sql } from '../support/postgres';
import { chatChunks, chatCompletion, startUpstream, type FakeUpstream } from '../support/upstream';

const MASTER = 'sk-shutdown-master-31c7';

function configFor(upstream: FakeUpstream, priced = false): string {
  const prices = priced ? '\n    model_info: { input_cost_per_token: 0.00001, output_cost_per_token: 0.00003 }' : '';
  return writeConfig(`general_settings:
  master_key: ${MASTER}
model_list:
  - model_name: slow
    litellm_params:
      model: openai/gpt-upstream
      api_base: ${upstream.url}/v1
      api_key: upstream-key-1
      timeout: 60${prices}
router_settings:
  num_retries: 0
`);
}

function chat(url: string, agent?: Agent): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const req = httpRequest(
      `${url}/v1/chat/completions`,
      { method: 'POST', agent, headers: { authorization: `Bearer ${MASTER}`, 'content-type': 'application/json' } },
      (res) => {
        let body = '';
        res.on('data', (d) => (body += d));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
        res.on('error', reject);
      },
    );
    req.on('error', reject);
    req.end(JSON.stringify({ model: 'slow', messages: [{ role: 'user', content: 'hi' }] }));
  });
}

/** A GET on `agent` (a kept-alive connection afterwards). */
function fetchOn(agent: Agent, url: string): Promise<void> {
  return new Promise((resolve, reject) => {
    const req = httpRequest(url, { agent }, (res) => {
      res.resume();
      res.on('end', () => resolve());
    });
    req.on('error', reject);
    req.end();
  });
}

async function until(what: string, check: () => boolean, ms = 20_000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!check()) {
    assert.ok(Date.now() < deadline, `timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

describe('graceful shutdown (production build)', () => {
  let upstream: FakeUpstream;
  before(async () => {
    upstream = await startUpstream();
  });
  after(async () => {
    await upstream?.close();
  });

  it('SIGTERM: in-flight request finishes, idle keep-alive connections close, new ones are refused, the database closes, exit 0', async () => {
    let release!: () => void;
    const gate = new Promise<void>((r) => (release = r));
    upstream.reset();
    upstream.respondWith(async () => {
      await gate;
      return { json: chatCompletion('finished after SIGTERM') };
    });
    const dataDir = join(tempDir('gw-shutdown-'), 'data');
    const gw = await spawnGateway(['--config', configFor(upstream)], { DATA_DIR: dataDir }, 60_000);
    const agent = new Agent({ keepAlive: true, maxSockets: 4 });
    try {
      // An idle keep-alive connection: one request done, the socket kept open by the agent.
      const idle = await new Promise<import('node:net').Socket>((resolve, reject) => {
        const req = httpRequest(`${gw.url}/health/liveliness`, { agent }, (res) => {
          res.resume();
          res.on('end', () => resolve(req.socket!));
        });
        req.on('error', reject);
        req.end();
      });
      const idleClosed = new Promise<void>((r) => idle.once('close', () => r()));

      const inFlight = chat(gw.url);
      await until('the upstream to receive the request', () => upstream.requests.length === 1);
      assert.ok(existsSync(join(dataDir, 'gateway.lock')));

      const exited = gw.stop('SIGTERM');
      await until('shutdown to start', () => gw.output().includes('shutting down'));
      await idleClosed; // closed by the gateway while the other request is still in flight
      await assert.rejects(fetch(`${gw.url}/health/liveliness`), 'a new connection is refused');

      release();
      const done = await inFlight;
      assert.equal(done.status, 200, done.body);
      assert.equal(JSON.parse(done.body).choices[0].message.content, 'finished after SIGTERM');

      assert.equal(await exited, 0);
      const out = gw.output();
      assert.match(out, /"msg":"stopped"/);
      assert.ok(out.indexOf('"msg":"stopped"') > out.indexOf('shutting down'));
      assert.equal(
        existsSync(join(dataDir, 'gateway.lock')),
        false,
        'the embedded database was closed (its lock released)',
      );
      assert.doesNotMatch(out, new RegExp(MASTER));
    } finally {
      release();
      agent.destroy();
      await gw.stop('SIGKILL');
    }
  });

  it('SIGTERM with a request that never finishes: cut after SHUTDOWN_TIMEOUT_SECONDS, the process still exits 0', async () => {
    const db = await createTestDatabase();
    upstream.reset();
    upstream.respondWith({ hang: true });
    const gw = await spawnGateway(['--config', configFor(upstream)], {
      DATABASE_URL: db.url,
      SHUTDOWN_TIMEOUT_SECONDS: '1',
    });
    try {
      const stuck = chat(gw.url).then(
        (r) => ({ cut: false, status: r.status }),
        () => ({ cut: true, status: 0 }),
      );
      await until('the upstream to receive the request', () => upstream.requests.length === 1);
      const sentAt = Date.now();
      const code = await gw.stop('SIGTERM');
      const waited = Date.now() - sentAt;
      assert.equal(code, 0, gw.output());
      assert.ok(waited >= 900, `the gateway waited for the in-flight request before cutting it (${waited} ms)`);
      const result = await stuck;
      assert.ok(result.cut || result.status >= 500, `the stuck request was ended: ${JSON.stringify(result)}`);
      assert.match(gw.output(), /"msg":"stopped"/);
      const closed = await upstream.requests[0].closed;
      assert.equal(closed.aborted, true, 'the upstream call was cancelled');
    } finally {
      await gw.stop('SIGKILL');
      await db.drop();
    }
  });

  it('SIGTERM with keep-alive clients: exits as soon as the calls drain, not after the bound or keep-alive timeout', async () => {
    const db = await createTestDatabase();
    let release!: () => void;
    const gate = new Promise<void>((r) => (release = r));
    upstream.reset();
    upstream.respondWith(async () => {
      await gate;
      return { json: chatCompletion('drained') };
    });
    const gw = await spawnGateway(['--config', configFor(upstream)], {
      DATABASE_URL: db.url,
      SHUTDOWN_TIMEOUT_SECONDS: '30',
    });
    const agent = new Agent({ keepAlive: true, maxSockets: 8 });
    try {
      // Keep-alive clients: each connection has served a call and is kept; three of them carry calls in flight.
      await Promise.all([0, 1, 2, 3, 4, 5].map(() => fetchOn(agent, `${gw.url}/health/liveliness`)));
      const inFlight = [0, 1, 2].map(() => chat(gw.url, agent));
      await until('the upstream to hold the calls', () => upstream.requests.length === 3);
      const exited = gw.stop('SIGTERM');
      await until('shutdown to start', () => gw.output().includes('shutting down'));
      await new Promise((r) => setTimeout(r, 300));
      const releasedAt = Date.now();
      release();
      for (const r of await Promise.all(inFlight)) assert.equal(r.status, 200, r.body);
      assert.equal(await exited, 0, gw.output());
      const waited = Date.now() - releasedAt;
      assert.ok(waited < 5_000, `exited ${waited} ms after the calls drained`);
    } finally {
      release();
      agent.destroy();
      await gw.stop('SIGKILL');
      await db.drop();
    }
  });

  it('a stream cut at SHUTDOWN_TIMEOUT_SECONDS is billed for what it delivered, logged, and has its spend log row', async () => {
    const db = await createTestDatabase();
    upstream.reset();
    upstream.respondWith({
      sse: [...chatChunks(['cut', ' here', ' at', ' shutdown']).slice(0, 3), () => new Promise(() => undefined)],
    });
    const gw = await spawnGateway(['--config', configFor(upstream, true)], {
      DATABASE_URL: db.url,
      SHUTDOWN_TIMEOUT_SECONDS: '1',
    });
    try {
      const gen = await fetch(`${gw.url}/key/generate`, {
        method: 'POST',
        headers: { authorization: `Bearer ${MASTER}`, 'content-type': 'application/json' },
        body: '{}',
      });
      const { key, token } = (await gen.json()) as { key: string; token: string };
      const res = await fetch(`${gw.url}/v1/chat/completions`, {
        method: 'POST',
        headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json', 'x-request-id': 'cut-stream-1' },
        body: JSON.stringify({ model: 'slow', stream: true, messages: [{ role: 'user', content: 'hi' }] }),
      });
      assert.equal(res.status, 200);
      const reader = res.body!.getReader();
      await reader.read(); // the stream runs
      assert.equal(await gw.stop('SIGTERM'), 0, gw.output());
      await reader.read().catch(() => undefined);
      const out = gw.output();
      assert.match(out, /"reqId":"cut-stream-1"[^\n]*stream cut at shutdown/);
      assert.doesNotMatch(out, new RegExp(key));
      const [row] = await sql<{ spend: number; status_code: number }>(
        db.url,
        'SELECT spend, status_code FROM spend_logs WHERE request_id = $1',
        ['cut-stream-1'],
      );
      assert.ok(row, 'the spend log row was written before exit');
      assert.ok(row.spend > 0, `billed: ${row.spend}`);
      const [k] = await sql<{ spend: number }>(db.url, 'SELECT spend FROM virtual_keys WHERE token = $1', [token]);
      assert.ok(Math.abs(k.spend - row.spend) < 1e-12, `the key was charged what the row says: ${k.spend}`);
    } finally {
      await gw.stop('SIGKILL');
      await db.drop();
    }
  });

  it('SIGINT stops it the same way', async () => {
    const db = await createTestDatabase();
    const gw = await spawnGateway(['--config', configFor(upstream)], { DATABASE_URL: db.url });
    try {
      assert.equal((await readJson(await fetch(`${gw.url}/health/readiness`))).database, 'postgres');
      assert.equal(await gw.stop('SIGINT'), 0);
      assert.match(gw.output(), /"signal":"SIGINT"[^\n]*shutting down/);
      assert.match(gw.output(), /"msg":"stopped"/);
    } finally {
      await gw.stop('SIGKILL');
      await db.drop();
    }
  });
});
