import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { loadGatewayConfig } from '../../src/config/config.loader';
import { ROOT, tempDir } from '../support/gateway';

/** LiteLLM configs written from LiteLLM's documented settings; each file's header lists the warnings it must start with. */
const DIR = join(ROOT, 'test', 'fixtures', 'litellm-configs');

const ENV = {
  OPENAI_API_KEY: 'sk-openai-test-123',
  AZURE_API_BASE: 'https://example.openai.azure.com',
  AZURE_API_KEY: 'azure-key-test-123',
  REDIS_HOST: 'redis.internal',
  REDIS_PORT: '6379',
  REDIS_PASSWORD: 'redis-pass-123',
  AWS_ACCESS_KEY_ID: 'AKIA-test',
  AWS_SECRET_ACCESS_KEY: 'aws-secret-test',
  ANTHROPIC_API_KEY: 'sk-ant-test-123',
  GROQ_API_KEY: 'gsk-test-123',
};

function expectedWarnings(text: string): string[] {
  const lines = text.split('\n');
  const start = lines.findIndex((l) => l.startsWith('# expect-warnings:'));
  assert.ok(start >= 0, 'the file says which warnings it expects');
  const out: string[] = [];
  for (const l of lines.slice(start + 1)) {
    if (!l.startsWith('#   ')) break;
    out.push(l.slice(4));
  }
  return out;
}

describe('LiteLLM config corpus: each starts with exactly the warnings it lists', () => {
  const files = readdirSync(DIR).filter((f) => f.endsWith('.yaml'));
  it('has configs', () => assert.ok(files.length >= 8, files.join(', ')));
  for (const name of files) {
    it(name, () => {
      const path = join(DIR, name);
      const c = loadGatewayConfig({ argv: ['--config', path], env: ENV, cwd: tempDir('gw-cwd-') });
      const got = c.warnings.map((w) => (w.startsWith(`${path}: `) ? w.slice(path.length + 2) : w));
      assert.deepEqual(got.sort(), expectedWarnings(readFileSync(path, 'utf8')).sort());
      assert.ok(c.models.length > 0);
    });
  }

  it('what the corpus configs say is in force', () => {
    const load = (name: string) =>
      loadGatewayConfig({ argv: ['--config', join(DIR, name)], env: ENV, cwd: tempDir('gw-cwd-') });
    const lb = load('load-balancing.yaml');
    assert.deepEqual(
      lb.models.map((m) => m.tpm),
      [20000, 100000],
    );
    assert.equal(lb.router.routingStrategy, 'usage-based-routing-v2');
    assert.equal(lb.redisUrl, 'redis://:redis-pass-123@redis.internal:6379');
    const q = load('quickstart.yaml');
    assert.deepEqual([q.models[0].provider, q.models[0].upstreamModel], ['openai', 'gpt-3.5-turbo']);
    assert.deepEqual(q.router.fallbacks, { 'gpt-4': ['gpt-3.5-turbo'] });
    assert.equal(q.router.numRetries, 3);
    const w = load('wildcards-aliases.yaml');
    assert.equal(w.router.latencyTtlMs, 10_000);
    assert.equal(w.router.latencyBuffer, 0.5);
    assert.deepEqual(w.router.aliases['gpt-4-hidden'], { group: 'gpt-4o', hidden: true });
    const jwt = load('jwt-auth.yaml');
    assert.deepEqual(jwt.allowedRoutes, ['openai_routes', 'info_routes']);
    assert.equal(jwt.jwt.enabled, true);
    const lbx = load('load-balancer-example.yaml');
    assert.deepEqual(
      lbx.models.map((m) => [m.tpm, m.rpm]),
      [
        [20000, 3],
        [20000, 3],
        [undefined, undefined],
        [undefined, undefined],
      ],
    );
    const orgs = load('openai-organizations.yaml');
    assert.deepEqual(
      orgs.models.map((m) => [m.modelName, m.organization]),
      [
        ['*', 'org-1'],
        ['*', 'org-2'],
        ['*', 'org-3'],
      ],
    );
    assert.equal(new Set(orgs.models.map((m) => m.id)).size, 3, 'each organization is a deployment of its own');
    const cred = load('credential-list.yaml');
    assert.deepEqual(
      cred.models.map((m) => [m.apiBase, m.apiKey, m.apiVersion, m.unavailable]),
      [
        [ENV.AZURE_API_BASE, ENV.AZURE_API_KEY, '2023-05-15', undefined],
        [ENV.AZURE_API_BASE, ENV.AZURE_API_KEY, '2024-10-21', undefined],
      ],
    );
  });
});
