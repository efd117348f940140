import assert from 'node:assert/strict';
import { connect } from 'node:net';
import { after, before, describe, it } from 'node:test';
import { startGateway, type InProcessGateway } from '../support/gateway';
import { startStaticJwks, type StaticJwks } from '../support/static-jwks';
import { startUpstream, type FakeUpstream } from '../support/upstream';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/**
 * A client that hangs up while its call is still being authenticated (here: the gateway waits for a slow JWKS)
 * must not have the call forwarded afterwards: nobody would read the answer, and the upstream would bill it.
 */
describe('proxy: a client gone before the call is forwarded', () => {
  let jwks: StaticJwks;
  let up: FakeUpstream;
  let gw: InProcessGateway;
  const token = () => jwks.token('team-gone');

  before(async () => {
    jwks = await startStaticJwks({ delayMs: 1_500 });
    up = await startUpstream();
    gw = await startGateway(
      `
model_list:
  - model_name: chat
    litellm_params: { model: openai/chat-up, api_base: ${up.url}/v1, api_key: sk-upstream-gone }
general_settings:
  master_key: sk-client-gone-master-1
  enable_jwt_auth: true
`,
      { JWT_PUBLIC_KEY_URL: jwks.url, JWT_ISSUER: jwks.issuer, JWT_AUDIENCE: jwks.audience },
    );
  });
  after(async () => {
    await gw?.close();
    await up?.close();
    await jwks?.close();
  });

  it('is not forwarded once authentication finishes; the next call is', async () => {
    const body = JSON.stringify({ model: 'chat', messages: [{ role: 'user', content: 'x' }] });
    const socket = connect(Number(new URL(gw.url).port), '127.0.0.1');
    socket.on('error', () => undefined);
    socket.write(
      `POST /v1/chat/completions HTTP/1.1\r\nHost: gw\r\nAuthorization: Bearer ${token()}\r\nContent-Type: application/json\r\nContent-Length: ${Buffer.byteLength(body)}\r\n\r\n${body}`,
    );
    await sleep(300);
    assert.equal(jwks.answeredAt, 0, 'the gateway is still waiting for the JWKS');
    socket.destroy(); // the client gives up
    for (let i = 0; i < 100 && jwks.answeredAt === 0; i++) await sleep(50);
    assert.ok(jwks.answeredAt > 0, 'the JWKS answered');
    await sleep(500);
    assert.equal(up.requests.length, 0, 'the abandoned call did not reach the upstream');
    const metrics = await (await fetch(`${gw.url}/metrics`)).text();
    assert.match(
      metrics,
      /^gateway_upstream_requests_total\{model_group="chat",outcome="cancelled"\} 0$/m,
      'no upstream attempt was even started',
    );
    const errors = gw.logs.lines.filter((l) => JSON.parse(l).level >= 50);
    assert.deepEqual(errors, [], 'an abandoned call is not an error');

    // Control: the same kind of call from a client that waits is forwarded (the keys are cached now).
    const r = await fetch(`${gw.url}/v1/chat/completions`, {
      method: 'POST',
      headers: { authorization: `Bearer ${token()}`, 'content-type': 'application/json' },
      body,
    });
    assert.equal(r.status, 200, await r.text());
    assert.equal(up.requests.length, 1);
  });
});
