import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { DeploymentConfig } from '../../src/config/gateway-config';
import { AZURE_DEFAULT_API_VERSION, azureProvider } from '../../src/proxy/providers/azure/azure.provider';
import { openAIProvider } from '../../src/proxy/providers/openai/openai.provider';
import { PROVIDER_REGISTRY, providerFor } from '../../src/proxy/providers/provider-registry';
import { ClientJson, type JsonBytes } from '../../src/proxy/upstream/client-json';

const ENV = { azureAuthorityHost: 'https://login.microsoftonline.com' };
const base = { id: 'x', modelName: 'g', inputCostPerToken: 0, outputCostPerToken: 0 };

describe('providers', () => {
  it('azure: deployment path, api-version query, api-key header', () => {
    const d: DeploymentConfig = {
      ...base,
      provider: 'azure',
      upstreamModel: 'my dep',
      apiBase: 'https://res.openai.azure.com',
      apiKey: 'k1',
      apiVersion: '2023-07-01-preview',
    };
    const e = azureProvider.endpoint(d, ENV);
    assert.equal(e.origin, 'https://res.openai.azure.com');
    assert.equal(e.paths.chat, '/openai/deployments/my%20dep/chat/completions?api-version=2023-07-01-preview');
    assert.equal(e.paths.embeddings, '/openai/deployments/my%20dep/embeddings?api-version=2023-07-01-preview');
    assert.deepEqual(e.headers, { 'content-type': 'application/json', 'accept-encoding': 'identity', 'api-key': 'k1' });
    assert.equal(e.streamUsage, false, 'old api versions refuse stream_options');
    const recent = azureProvider.endpoint({ ...d, apiVersion: undefined, apiBase: 'https://h:8443/prefix?x=1' }, ENV);
    assert.equal(recent.origin, 'https://h:8443');
    assert.equal(
      recent.paths.chat,
      `/prefix/openai/deployments/my%20dep/chat/completions?api-version=${AZURE_DEFAULT_API_VERSION}&x=1`,
    );
    assert.equal(recent.streamUsage, true);
    // Azure's v1 API: no deployment paths, every operation under /openai/v1, the deployment as the body's model.
    for (const [apiVersion, apiBase, query] of [
      ['v1', 'https://res.openai.azure.com', ''],
      ['latest', 'https://res.openai.azure.com/', ''],
      ['preview', 'https://res.openai.azure.com', '?api-version=preview'],
      [undefined, 'https://res.openai.azure.com/openai/v1/', ''],
    ] as const) {
      const v1 = azureProvider.endpoint({ ...d, apiVersion, apiBase }, ENV);
      assert.equal(v1.paths.chat, `/openai/v1/chat/completions${query}`, `${apiVersion} ${apiBase}`);
      assert.equal(v1.paths.transcriptions, `/openai/v1/audio/transcriptions${query}`);
      assert.equal(v1.paths.responses, `/openai/v1/responses${query}`);
      assert.equal(v1.bodyModel, 'my dep');
    }
  });

  it('openai: default base, bearer key, organization; compatible servers by api_base', () => {
    const d: DeploymentConfig = {
      ...base,
      provider: 'openai',
      upstreamModel: 'gpt-4o',
      apiKey: 'k2',
      organization: 'org-1',
    };
    const e = openAIProvider.endpoint(d, ENV);
    assert.equal(e.origin, 'https://api.openai.com');
    assert.equal(e.paths.chat, '/v1/chat/completions');
    assert.equal(e.paths.embeddings, '/v1/embeddings');
    assert.deepEqual(e.headers, {
      'content-type': 'application/json',
      'accept-encoding': 'identity',
      authorization: 'Bearer k2',
      'openai-organization': 'org-1',
    });
    const local = openAIProvider.endpoint(
      {
        ...d,
        apiKey: undefined,
        organization: undefined,
        apiBase: 'http://localhost:11434/v1',
      },
      ENV,
    );
    assert.equal(local.origin, 'http://localhost:11434');
    assert.equal(local.paths.chat, '/v1/chat/completions');
    assert.deepEqual(local.headers, { 'content-type': 'application/json', 'accept-encoding': 'identity' });
  });

  it('serialises the client body once per deployment with model rewritten and everything else kept', () => {
    const d: DeploymentConfig = { ...base, provider: 'openai', upstreamModel: 'llama3', apiBase: 'http://h' };
    const payload = { model: 'group', messages: [{ role: 'user', content: 'x' }], custom: { a: [1] }, temperature: 0 };
    const want = { model: 'llama3', messages: [{ role: 'user', content: 'x' }], custom: { a: [1] }, temperature: 0 };
    const text = openAIProvider.body('chat', payload, openAIProvider.endpoint(d, ENV), null);
    assert.equal(typeof text, 'string');
    assert.deepEqual(JSON.parse(text as string), want);
    // With the client's bytes at hand, those bytes are sent with `model` changed.
    const raw = JSON.stringify({ ...payload, model: 'group' });
    const parsed = JSON.parse(raw) as Record<string, unknown>;
    const client = new ClientJson(
      { bytes: Buffer.from(raw), ascii: Buffer.byteLength(raw) === raw.length, elided: null },
      parsed,
    );
    const bytes = openAIProvider.body('chat', parsed, openAIProvider.endpoint(d, ENV), client);
    assert.equal(typeof bytes, 'object');
    assert.deepEqual(JSON.parse((bytes as JsonBytes).bytes.toString()), want);
  });

  it('the registry: every provider under its own name, with the OpenAI-compatible family at their default bases', () => {
    for (const [name, p] of Object.entries(PROVIDER_REGISTRY)) assert.equal(p.name, name);
    const bases: Record<string, string> = {
      groq: 'https://api.groq.com/openai/v1/chat/completions',
      mistral: 'https://api.mistral.ai/v1/chat/completions',
      deepseek: 'https://api.deepseek.com/beta/chat/completions',
      together_ai: 'https://api.together.xyz/v1/chat/completions',
      fireworks_ai: 'https://api.fireworks.ai/inference/v1/chat/completions',
      openrouter: 'https://openrouter.ai/api/v1/chat/completions',
      xai: 'https://api.x.ai/v1/chat/completions',
      perplexity: 'https://api.perplexity.ai/chat/completions',
      gemini: 'https://generativelanguage.googleapis.com/v1beta/openai/chat/completions',
    };
    for (const [name, url] of Object.entries(bases)) {
      const p = providerFor(name)!;
      const d: DeploymentConfig = { ...base, provider: name, upstreamModel: 'm', apiKey: 'k' };
      assert.equal(p.configProblem?.({ model: `${name}/m` }) ?? null, null, `${name} needs no api_base`);
      const e = p.endpoint(d, ENV);
      assert.equal(e.origin + e.paths.chat, url, name);
      assert.equal(e.headers.authorization, 'Bearer k');
      assert.equal(p.response, undefined, `${name} passes OpenAI's format through`);
      const own = p.endpoint({ ...d, apiBase: 'http://127.0.0.1:9/v1' }, ENV);
      assert.equal(own.origin + own.paths.chat, 'http://127.0.0.1:9/v1/chat/completions', `${name}: api_base wins`);
    }
    const vllm = providerFor('hosted_vllm')!;
    assert.deepEqual(vllm.configProblem?.({ model: 'hosted_vllm/llama' }), {
      key: 'api_base',
      message: "is required for hosted_vllm deployments (the server's URL)",
    });
    assert.equal(providerFor('bedrock'), undefined);
    assert.equal(providerFor('vertex_ai'), undefined);
  });

  it('azure with Entra ID: a fixed azure_ad_token as Bearer; client credentials need all three fields', () => {
    const d: DeploymentConfig = {
      ...base,
      provider: 'azure',
      upstreamModel: 'dep',
      apiBase: 'https://res.openai.azure.com',
      azureAdToken: 'eyJ.fixed.token',
    };
    const e = azureProvider.endpoint(d, ENV);
    assert.equal(e.headers.authorization, 'Bearer eyJ.fixed.token');
    assert.equal(e.headers['api-key'], undefined);
    assert.equal(e.auth, undefined);
    const entra = { ...d, azureAdToken: undefined, tenantId: 't', clientId: 'c', clientSecret: 's' };
    assert.notEqual(azureProvider.endpoint(entra, ENV).auth, undefined);
    const params = { model: 'azure/dep', api_base: 'https://r', tenant_id: 't', client_id: 'c', client_secret: 's' };
    assert.equal(azureProvider.configProblem?.(params), null);
    assert.equal(azureProvider.configProblem?.({ ...params, client_secret: undefined })?.key, 'client_secret');
    assert.equal(azureProvider.configProblem?.({ ...params, api_base: undefined })?.key, 'api_base');
    assert.deepEqual(azureProvider.credentials, [
      'api_key',
      'azure_ad_token',
      'tenant_id',
      'client_id',
      'client_secret',
    ]);
  });

  it('anthropic: /v1/messages at the default or given base, x-api-key and anthropic-version, no embeddings', () => {
    const p = providerFor('anthropic')!;
    const d: DeploymentConfig = { ...base, provider: 'anthropic', upstreamModel: 'claude-x', apiKey: 'sk-ant' };
    const e = p.endpoint(d, ENV);
    assert.equal(e.origin + e.paths.chat, 'https://api.anthropic.com/v1/messages');
    assert.equal(e.paths.messages, e.paths.chat);
    assert.equal(e.paths.embeddings, undefined);
    assert.equal(e.headers['x-api-key'], 'sk-ant');
    assert.equal(e.headers['anthropic-version'], '2023-06-01');
    assert.equal(e.headers.authorization, undefined);
    for (const apiBase of ['http://h:1', 'http://h:1/v1', 'http://h:1/v1/messages'])
      assert.equal(p.endpoint({ ...d, apiBase }, ENV).paths.chat, '/v1/messages', apiBase);
  });
});
