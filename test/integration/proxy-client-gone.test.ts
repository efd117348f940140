import assert from 'node:assert/strict';
import { generateKeyPairSync } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import { connect, type AddressInfo } from 'node:net';
import { after, before, describe, it } from 'node:test';
import { signJwt, standardClaims } from '../support/auth-tokens';
import { startGateway, type InProcessGateway } from '../support/gateway';
import { startUpstream, type FakeUpstream } from '../support/upstream';

const ISSUER = 'https://idp.client-gone.test';
const AUDIENCE = 'llm-gateway';
const JWKS_DELAY_MS = 1_500;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/**
 * A client that hangs up while its call is still being authenticated (here: the gateway waits for a slow JWKS)
 * must not have the call forwarded afterwards: nobody would read the answer, and the upstream would bill it.
 */
describe('proxy: a client gone before the call is forwarded', () => {
  const { privateKey, publicKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
  let jwks: Server;
  let jwksAnsweredAt = 0;
  let up: FakeUpstream;
  let gw: InProcessGateway;
  const token = () => signJwt('RS256', { kid: 'k1', typ: 'JWT' }, standardClaims(ISSUER, AUDIENCE, 'project-gone'), privateKey);

  before(async () => {
    jwks = createServer((_req, res) => {
      setTimeout(() => {
        res.writeHead(200, { 'content-type': 'application/json' });
        res.end(JSON.stringify({ keys: [{ ...publicKey.export({ format: 'jwk' }), kid: 'k1', alg: 'RS256', use: 'sig' }] }));
        jwksAnsweredAt = Date.now();
      }, JWKS_DELAY_MS);
    });
    await new Promise<void>((r) => jwks.listen(0, '127.0.0.1', r));
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
      { JWT_PUBLIC_KEY_URL: `http://127.0.0.1:${(jwks.address() as AddressInfo).port}/jwks`, JWT_ISSUER: ISSUER, JWT_AUDIENCE: AUDIENCE },
    );
  });
  after(async () => {
    await gw?.close();
    await up?.close();
    jwks?.closeAllConnections();
    await new Promise((r) => jwks?.close(r));
  });

  it('is not forwarded once authentication finishes; the next call is', async () => {
    const body = JSON.stringify({ model: 'chat', messages: [{ role: 'user', content: 'x' }] });
    const socket = connect(Number(new URL(gw.url).port), '127.0.0.1');
    socket.on('error', () => undefined);
    socket.write(`POST /v1/chat/completions HTTP/1.1\r\nHost: gw\r\nAuthorization: Bearer ${token()}\r\nContent-Type: application/json\r\nContent-Length: ${Buffer.byteLength(body)}\r\n\r\n${body}`);
    await sleep(300);
    assert.equal(jwksAnsweredAt, 0, 'the gateway is still waiting for the JWKS');
    socket.destroy(); // the client gives up
    for (let i = 0; i < 100 && jwksAnsweredAt === 0; i++) await sleep(50);
    assert.ok(jwksAnsweredAt > 0, 'the JWKS answered');
    await sleep(500);
    assert.equal(up.requests.length, 0, 'the abandoned call did not reach the upstream');
    const errors = gw.logs.lines.filter((l) => JSON.parse(l).level >= 50);
    assert.deepEqual(errors, [], 'an abandoned call is not an error');

    // Control: the same kind of call from a client that waits is forwarded (the keys are cached now).
    const r = await fetch(`${gw.url}/v1/chat/completions`, { method: 'POST', headers: { authorization: `Bearer ${token()}`, 'content-type': 'application/json' }, body });
    assert.equal(r.status, 200, await r.text());
    assert.equal(up.requests.length, 1);
  });
});
