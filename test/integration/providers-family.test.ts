import assert from 'node:assert/strict';
import { after, before, beforeEach, describe, it } from 'node:test';
import OpenAI from 'openai';
import { startEntra, type FakeEntra } from '../support/entra';
import { readJson, startGateway, type InProcessGateway } from '../support/gateway';
import type { TestDatabase } from '../support/postgres';
import { startProxy, type ProxyOnDatabase } from '../support/proxy-setup';
import type { FakeUpstream } from '../support/upstream';

const MASTER = 'sk-master-providers-family';
const GROQ_KEY = 'gsk-upstream-groq-secret';
const CLIENT_SECRET = 'entra-secret-value-77';
const AD_TOKEN = 'fixed-entra-access-token';

/**
 * The OpenAI-compatible family (groq/ with api_base pointed at a fake upstream), Azure deployments authenticated by
 * Microsoft Entra ID (a fake token endpoint as AZURE_AUTHORITY_HOST), and a provider the gateway does not implement.
 */
describe('providers: OpenAI-compatible family, Azure with Entra ID, unimplemented providers', () => {
  let up: FakeUpstream;
  let entra: FakeEntra;
  let gw: InProcessGateway;
  let db: TestDatabase;
  let client: OpenAI;
  let setup: ProxyOnDatabase | undefined;
  const ask = (model: string) => client.chat.completions.create({ model, messages: [{ role: 'user', content: 'Hi' }] });

  before(async () => {
    entra = await startEntra();
    setup = await startProxy({
      database: 'gw_providers_family',
      apiKey: MASTER,
      env: { AZURE_AUTHORITY_HOST: entra.url },
      yaml: (upstream) => `model_list:
  - model_name: llama
    litellm_params:
      model: groq/llama-3.3-70b-versatile
      api_base: ${upstream}/openai/v1
      api_key: ${GROQ_KEY}
  - model_name: azure-entra
    litellm_params:
      model: azure/gpt4o-dep
      api_base: ${upstream}
      tenant_id: tenant-abc
      client_id: client-abc
      client_secret: ${CLIENT_SECRET}
  - model_name: azure-token
    litellm_params:
      model: azure/gpt4o-dep2
      api_base: ${upstream}
      azure_ad_token: ${AD_TOKEN}
  - model_name: titan
    litellm_params:
      model: bedrock/amazon.titan-text-express-v1
general_settings:
  master_key: ${MASTER}
router_settings:
  num_retries: 0
  cooldown_time: 0
`,
    });
    // The setup's client: the master key, no retries.
    ({ up, gw, db, client } = setup);
  });
  after(async () => {
    await setup?.close();
    await entra?.close();
  });
  beforeEach(() => {
    up.reset();
    entra.reset();
  });

  it('groq/: the official client, plain and streaming, at the api_base given, with the groq key as Bearer', async () => {
    const res = await ask('llama');
    assert.equal(res.choices[0].message.content, 'Hello from upstream');
    const seen = up.requests[0];
    assert.equal(seen.path, '/openai/v1/chat/completions');
    assert.equal(seen.headers.authorization, `Bearer ${GROQ_KEY}`);
    assert.equal(seen.body.model, 'llama-3.3-70b-versatile');
    const stream = await client.chat.completions.create({
      model: 'llama',
      messages: [{ role: 'user', content: 'Hi' }],
      stream: true,
      stream_options: { include_usage: true },
    });
    let text = '';
    let total: number | undefined;
    for await (const chunk of stream) {
      text += chunk.choices[0]?.delta?.content ?? '';
      total = chunk.usage?.total_tokens ?? total;
    }
    assert.equal(text, 'Hello from upstream');
    assert.equal(total, 14);
  });

  it('azure/ with client credentials: a token from the authority host, sent as Bearer, fetched once for many calls', async () => {
    entra.delayMs = 100;
    const answers = await Promise.all(Array.from({ length: 8 }, () => ask('azure-entra')));
    assert.ok(answers.every((a) => a.choices[0].message.content === 'Hello from upstream'));
    assert.equal(entra.requests.length, 1, 'one fetch for concurrent calls');
    assert.equal(entra.requests[0].path, '/tenant-abc/oauth2/v2.0/token');
    assert.equal(entra.requests[0].form.get('client_id'), 'client-abc');
    assert.equal(entra.requests[0].form.get('scope'), 'https://cognitiveservices.azure.com/.default');
    for (const r of up.requests) {
      assert.equal(r.path, '/openai/deployments/gpt4o-dep/chat/completions');
      assert.equal(r.headers.authorization, 'Bearer token-1');
      assert.equal(r.headers['api-key'], undefined);
    }
    await ask('azure-entra');
    assert.equal(entra.requests.length, 1, 'the cached token serves later calls');
  });

  it('azure/ with a fixed azure_ad_token: sent as Bearer, no token endpoint involved', async () => {
    await ask('azure-token');
    assert.equal(up.requests[0].headers.authorization, `Bearer ${AD_TOKEN}`);
    assert.equal(entra.requests.length, 0);
  });

  it('an Entra ID failure is a clear 502 naming the token request, without the secret; it is never logged', async () => {
    // A fresh gateway: the first one holds a good token.
    const other = await startGateway(
      `model_list:
  - model_name: azure-entra
    litellm_params:
      model: azure/gpt4o-dep
      api_base: ${up.url}
      tenant_id: tenant-abc
      client_id: client-abc
      client_secret: ${CLIENT_SECRET}
general_settings:
  master_key: ${MASTER}
router_settings:
  num_retries: 0
`,
      { DATABASE_URL: db.url, AZURE_AUTHORITY_HOST: entra.url },
    );
    try {
      entra.fail = {
        status: 401,
        body: { error: 'invalid_client', error_description: `AADSTS7000215: Invalid client secret ${CLIENT_SECRET}` },
      };
      const res = await fetch(`${other.url}/v1/chat/completions`, {
        method: 'POST',
        headers: { authorization: `Bearer ${MASTER}`, 'content-type': 'application/json' },
        body: JSON.stringify({ model: 'azure-entra', messages: [{ role: 'user', content: 'Hi' }] }),
      });
      const text = await res.text();
      assert.equal(res.status, 502);
      assert.match(text, /Microsoft Entra ID token request failed: HTTP 401 invalid_client: AADSTS7000215/);
      assert.doesNotMatch(text, new RegExp(CLIENT_SECRET));
      assert.equal(up.requests.length, 0, 'nothing sent upstream without a token');
      entra.fail = null;
      await new Promise((r) => setTimeout(r, 50));
      const logs = other.logs.text();
      assert.doesNotMatch(logs, new RegExp(CLIENT_SECRET));
      assert.doesNotMatch(logs, /token-\d/);
    } finally {
      await other.close();
    }
  });

  it('a provider the gateway does not implement: warned about once at start, listed as such, its calls a 400', async () => {
    // The start logs each config warning once (server.ts); the in-process gateway holds them in its config.
    const warned = gw.config.warnings.filter((l) => l.includes('bedrock'));
    assert.equal(warned.length, 1);
    assert.match(warned[0], /provider 'bedrock' is not implemented by the gateway; calls to it answer 400/);
    const err = await ask('titan').then(
      () => assert.fail('expected a 400'),
      (e: unknown) => e,
    );
    assert.ok(err instanceof OpenAI.BadRequestError);
    assert.equal(err.code, 'provider_not_supported');
    assert.match(err.message, /Model 'titan' cannot be called: provider 'bedrock' is not implemented by the gateway/);
    const info = await readJson(
      await fetch(`${gw.url}/model/info`, { headers: { authorization: `Bearer ${MASTER}` } }),
    );
    const titan = info.data.find((d: any) => d.model_name === 'titan');
    assert.match(titan.model_info.unavailable, /provider 'bedrock' is not implemented/);
    assert.equal(info.data.find((d: any) => d.model_name === 'llama').model_info.unavailable, undefined);
    assert.doesNotMatch(JSON.stringify(info), new RegExp(`${CLIENT_SECRET}|${AD_TOKEN}|${GROQ_KEY}`));
  });
});
