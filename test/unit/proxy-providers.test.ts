import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { DeploymentConfig } from '../../src/config/gateway-config';
import { AZURE_DEFAULT_API_VERSION, azureProvider } from '../../src/proxy/providers/azure.provider';
import { openAIProvider } from '../../src/proxy/providers/openai.provider';
import { PROVIDER_REGISTRY } from '../../src/proxy/providers/provider-registry';

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
    const e = azureProvider.endpoint(d);
    assert.equal(e.origin, 'https://res.openai.azure.com');
    assert.equal(e.paths.chat, '/openai/deployments/my%20dep/chat/completions?api-version=2023-07-01-preview');
    assert.equal(e.paths.embeddings, '/openai/deployments/my%20dep/embeddings?api-version=2023-07-01-preview');
    assert.deepEqual(e.headers, { 'content-type': 'application/json', 'accept-encoding': 'identity', 'api-key': 'k1' });
    assert.equal(e.streamUsage, false, 'old api versions refuse stream_options');
    const recent = azureProvider.endpoint({ ...d, apiVersion: undefined, apiBase: 'https://h:8443/prefix?x=1' });
    assert.equal(recent.origin, 'https://h:8443');
    assert.equal(
      recent.paths.chat,
      `/prefix/openai/deployments/my%20dep/chat/completions?api-version=${AZURE_DEFAULT_API_VERSION}&x=1`,
    );
    assert.equal(recent.streamUsage, true);
  });

  it('openai: default base, bearer key, organization; compatible servers by api_base', () => {
    const d: DeploymentConfig = {
      ...base,
      provider: 'openai',
      upstreamModel: 'gpt-4o',
      apiKey: 'k2',
      organization: 'org-1',
    };
    const e = openAIProvider.endpoint(d);
    assert.equal(e.origin, 'https://api.openai.com');
    assert.equal(e.paths.chat, '/v1/chat/completions');
    assert.equal(e.paths.embeddings, '/v1/embeddings');
    assert.deepEqual(e.headers, {
      'content-type': 'application/json',
      'accept-encoding': 'identity',
      authorization: 'Bearer k2',
      'openai-organization': 'org-1',
    });
    const local = openAIProvider.endpoint({
      ...d,
      apiKey: undefined,
      organization: undefined,
      apiBase: 'http://localhost:11434/v1',
    });
    assert.equal(local.origin, 'http://localhost:11434');
    assert.equal(local.paths.chat, '/v1/chat/completions');
    assert.deepEqual(local.headers, { 'content-type': 'application/json', 'accept-encoding': 'identity' });
  });

  it('serialises the client body once per deployment with model rewritten and everything else kept', () => {
    const d: DeploymentConfig = { ...base, provider: 'openai', upstreamModel: 'llama3', apiBase: 'http://h' };
    const payload = { model: 'group', messages: [{ role: 'user', content: 'x' }], custom: { a: [1] }, temperature: 0 };
    const text = openAIProvider.body('chat', payload, openAIProvider.endpoint(d));
    assert.deepEqual(JSON.parse(text), {
      model: 'llama3',
      messages: [{ role: 'user', content: 'x' }],
      custom: { a: [1] },
      temperature: 0,
    });
  });

  it('has a provider for every provider name the config accepts', () => {
    assert.deepEqual(Object.keys(PROVIDER_REGISTRY).sort(), ['azure', 'openai']);
    for (const [name, p] of Object.entries(PROVIDER_REGISTRY)) assert.equal(p.name, name);
  });
});
