import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { parse } from 'yaml';
import { loadGatewayConfig } from '../../src/config/config.loader';
import { ROOT } from '../support/gateway';

const read = (f: string) => readFileSync(join(ROOT, f), 'utf8');

describe('deployment files', () => {
  it('Dockerfile: multi-stage on node:20-bookworm-slim, production deps only, non-root, port 4000, healthcheck, config at /app/config.yaml', () => {
    const df = read('Dockerfile');
    const stages = df.match(/^FROM .+$/gm) ?? [];
    assert.deepEqual(stages, ['FROM node:20-bookworm-slim AS build', 'FROM node:20-bookworm-slim AS runtime']);
    const runtime = df.slice(df.indexOf('AS runtime'));
    assert.match(runtime, /npm ci --omit=dev --omit=optional/);
    assert.match(runtime, /COPY --from=build \/app\/dist \.\/dist/);
    assert.match(runtime, /COPY prisma\/migrations \.\/prisma\/migrations/);
    assert.match(runtime, /^USER node$/m);
    assert.match(runtime, /^EXPOSE 4000$/m);
    assert.match(runtime, /^HEALTHCHECK .*\n?.*\/health\/liveliness/m);
    assert.match(runtime, /^CMD \["node", "dist\/main\.js", "--config", "\/app\/config\.yaml"\]$/m);
    assert.match(df.slice(0, df.indexOf('AS runtime')), /RUN npm run build/);
  });

  it('docker-compose.yml: gateway + postgres:16 with a healthcheck, a named volume, DATABASE_URL wired, config mounted read-only', () => {
    const c = parse(read('docker-compose.yml'));
    const pg = c.services.postgres;
    const gw = c.services.gateway;
    assert.equal(pg.image, 'postgres:16');
    assert.ok(pg.healthcheck?.test, 'postgres healthcheck');
    const [volume] = String(pg.volumes[0]).split(':');
    assert.ok(volume in c.volumes, 'a named volume');
    const url = new URL(gw.environment.DATABASE_URL);
    assert.equal(url.hostname, 'postgres');
    assert.equal(decodeURIComponent(url.username), pg.environment.POSTGRES_USER);
    assert.equal(decodeURIComponent(url.password), pg.environment.POSTGRES_PASSWORD);
    assert.equal(url.pathname, `/${pg.environment.POSTGRES_DB}`);
    assert.deepEqual(gw.depends_on, { postgres: { condition: 'service_healthy' } });
    assert.ok(gw.volumes.includes('./config.yaml:/app/config.yaml:ro'));
    assert.ok(gw.ports.includes('4000:4000'));
    assert.match(gw.environment.LITELLM_MASTER_KEY, /^\$\{LITELLM_MASTER_KEY:-.+\}$/);
  });

  it('config.example.yaml is a valid config (with its os.environ variables set)', () => {
    const c = loadGatewayConfig({
      argv: ['--config', join(ROOT, 'config.example.yaml')],
      env: { AZURE_API_BASE: 'https://example.openai.azure.com', AZURE_API_KEY: 'k-123456' },
      cwd: ROOT,
    });
    assert.deepEqual(c.warnings, []);
    assert.equal(c.models[0].modelName, 'azure-gpt-3.5');
    assert.equal(c.models[0].upstreamModel, 'gpt-35-turbo', 'a real deployment name, not a placeholder');
    assert.equal(c.jwt.enabled, false, 'JWT commented out: no warning on the first start');
    const named = loadGatewayConfig({
      argv: ['--config', join(ROOT, 'config.example.yaml')],
      env: {
        AZURE_API_BASE: 'https://example.openai.azure.com',
        AZURE_API_KEY: 'k-123456',
        AZURE_DEPLOYMENT: 'azure/mine',
      },
      cwd: ROOT,
    });
    assert.equal(named.models[0].upstreamModel, 'mine', 'the deployment name from AZURE_DEPLOYMENT');
  });

  it('config.jwt.example.yaml is a valid config with JWT auth on', () => {
    const c = loadGatewayConfig({
      argv: ['--config', join(ROOT, 'config.jwt.example.yaml')],
      env: {
        AZURE_API_BASE: 'https://example.openai.azure.com',
        AZURE_API_KEY: 'k-123456',
        JWT_PUBLIC_KEY_URL: 'http://localhost:8080/.well-known/openid-configuration',
      },
      cwd: ROOT,
    });
    // The audience is left for the operator to set (its commented line says how): until then, one warning says why.
    assert.deepEqual(
      c.warnings.map((w) => w.slice(w.indexOf(': ') + 2)),
      [
        'general_settings.litellm_jwtauth.audience: not set (nor JWT_AUDIENCE): a token the same provider issued for any other application is accepted',
      ],
    );
    assert.equal(c.jwt.enabled, true);
    assert.deepEqual(c.jwt.publicKeyUrls, ['http://localhost:8080/.well-known/openid-configuration']);
    const withAudience = loadGatewayConfig({
      argv: ['--config', join(ROOT, 'config.jwt.example.yaml')],
      env: {
        AZURE_API_BASE: 'https://example.openai.azure.com',
        AZURE_API_KEY: 'k-123456',
        JWT_PUBLIC_KEY_URL: 'http://localhost:8080/.well-known/openid-configuration',
        JWT_AUDIENCE: 'my-gateway',
      },
      cwd: ROOT,
    });
    assert.deepEqual(withAudience.warnings, []);
  });
});
