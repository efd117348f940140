import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import { createGateway } from '../../src/bootstrap';
import { loadGatewayConfig } from '../../src/config/config.loader';
import { createLogger } from '../../src/logging/logger';
import { LogCapture, ROOT, readJson, writeConfig } from '../support/gateway';
import { createTestDatabase } from '../support/postgres';

const MASTER = 'sk-openapi-master-01';
type Operation = { operationId: string; security: unknown[]; requestBody?: any; parameters?: any[]; responses: any };

/** OpenAPI's spelling of a Fastify route path: `:name` parameters as `{name}`. */
const openApiPath = (url: string) => url.replace(/:(\w+)/g, '{$1}');

describe('GET /openapi.json and /docs', () => {
  let db: Awaited<ReturnType<typeof createTestDatabase>>;
  let app: NestFastifyApplication;
  let base: string;
  const served: { method: string; url: string }[] = [];
  let doc: { openapi: string; paths: Record<string, Record<string, Operation>>; components: any };

  before(async () => {
    db = await createTestDatabase();
    const yaml = `general_settings:\n  master_key: ${MASTER}\n`;
    const config = loadGatewayConfig({
      argv: ['--config', writeConfig(yaml)],
      env: { DATABASE_URL: db.url, PORT: '0' },
      cwd: ROOT,
    });
    app = await createGateway(config, createLogger({ level: 'warn', secrets: config.secrets }, new LogCapture()));
    // Every route Fastify is given, as it is given: the list the document is checked against.
    app
      .getHttpAdapter()
      .getInstance()
      .addHook('onRoute', (route) => {
        for (const method of [route.method].flat())
          if (method !== 'HEAD' && method !== 'OPTIONS') served.push({ method, url: route.url });
      });
    await app.listen(0, '127.0.0.1');
    base = `http://127.0.0.1:${(app.getHttpServer().address() as { port: number }).port}`;
    const res = await fetch(`${base}/openapi.json`);
    assert.equal(res.status, 200, 'the document needs no credential');
    assert.match(res.headers.get('content-type') ?? '', /application\/json/);
    doc = await readJson(res);
  });
  after(async () => {
    await app?.close();
    await db?.drop();
  });

  it('describes every route the server serves, and nothing else', () => {
    assert.ok(served.length > 50, `routes seen: ${served.length}`);
    const missing = served
      .filter((r) => !doc.paths[openApiPath(r.url)]?.[r.method.toLowerCase()])
      .map((r) => `${r.method} ${r.url}`);
    assert.deepEqual(missing, [], 'routes served but not in /openapi.json');
    const servedKeys = new Set(served.map((r) => `${r.method.toLowerCase()} ${openApiPath(r.url)}`));
    const extra = Object.entries(doc.paths).flatMap(([path, item]) =>
      Object.keys(item)
        .filter((m) => !servedKeys.has(`${m} ${path}`))
        .map((m) => `${m} ${path}`),
    );
    assert.deepEqual(extra, [], 'operations in /openapi.json that no route serves');
    assert.ok(
      served.some((r) => r.url === '/chat/completions') && served.some((r) => r.url.startsWith('/openai/deployments/')),
      'the direct model-call routes are among them',
    );
  });

  it('names the credential schemes, requires one except on public routes, and has unique operation ids', () => {
    assert.match(doc.openapi, /^3\./);
    const schemes = doc.components.securitySchemes;
    assert.deepEqual(schemes.bearer, { type: 'http', scheme: 'bearer', description: schemes.bearer.description });
    assert.equal(schemes['api-key'].name, 'api-key');
    assert.equal(schemes['x-api-key'].name, 'x-api-key');
    const ops = Object.entries(doc.paths).flatMap(([path, item]) =>
      Object.entries(item).map(([m, op]) => ({ path, m, op })),
    );
    const open = ops.filter((o) => o.op.security.length === 0).map((o) => `${o.m} ${o.path}`);
    for (const p of ['get /openapi.json', 'get /docs', 'get /health/liveliness', 'get /metrics'])
      assert.ok(open.includes(p), `${p} is public`);
    for (const p of ['post /key/generate', 'post /chat/completions', 'get /spend/logs'])
      assert.ok(!open.includes(p), `${p} needs a credential`);
    const ids = ops.map((o) => o.op.operationId);
    assert.equal(new Set(ids).size, ids.length);
    for (const o of ops) assert.ok(o.op.responses['200'] || o.op.responses['201'], `${o.m} ${o.path} has an answer`);
  });

  it('describes the bodies and query strings the handlers read', () => {
    const generate = doc.paths['/key/generate'].post.requestBody.content['application/json'].schema;
    assert.ok(generate.properties.models && generate.properties.max_budget, 'key fields from the zod schema');
    const block = doc.paths['/key/block'].post.requestBody.content['application/json'].schema;
    assert.deepEqual(block.required, ['key']);
    const list = doc.paths['/key/list'].get.parameters?.map((p) => p.name) ?? [];
    assert.ok(list.includes('page') && list.includes('size'), `key/list query: ${list.join()}`);
    const chat = doc.paths['/openai/deployments/{model}/chat/completions'].post;
    assert.ok(chat.requestBody.content['application/json'].schema.required.includes('messages'));
    assert.ok(chat.parameters?.some((p) => p.name === 'model' && p.in === 'path'));
    assert.ok(doc.paths['/v1/audio/transcriptions'].post.requestBody.content['multipart/form-data']);
    assert.ok(doc.paths['/team/new'].post.requestBody, 'team body');
    assert.ok(doc.paths['/spend/logs'].get.parameters?.length, 'spend log filters');
  });

  it('serves Swagger UI from local files under a strict policy, and / leads to /ui', async () => {
    const page = await fetch(`${base}/docs`);
    assert.equal(page.status, 200);
    const html = await page.text();
    assert.match(page.headers.get('content-security-policy') ?? '', /script-src 'self';/);
    assert.doesNotMatch(html, /https?:\/\//, 'no external URL in the page');
    assert.doesNotMatch(html, /<script>/, 'no inline script');
    for (const src of html.match(/(?<=(src|href)=")[^"]+/g) ?? []) {
      const asset = await fetch(base + src);
      assert.equal(asset.status, 200, src);
      await asset.arrayBuffer();
    }
    const missing = await fetch(`${base}/docs/package.json`);
    assert.equal(missing.status, 404, 'only Swagger UI files are served');
    assert.ok((await readJson(missing)).error, 'in the OpenAI error shape');
    const root = await fetch(`${base}/`, { redirect: 'manual' });
    assert.equal(root.status, 302);
    assert.equal(root.headers.get('location'), '/ui/');
  });

  it('serves the admin UI build under a policy that allows nothing but the gateway itself', async () => {
    const page = await fetch(`${base}/ui/`);
    assert.equal(page.status, 200);
    const html = await page.text();
    const policy = page.headers.get('content-security-policy') ?? '';
    assert.match(policy, /default-src 'self'/);
    assert.match(policy, /script-src 'self';/);
    assert.doesNotMatch(policy, /unsafe/);
    assert.doesNotMatch(html, /https?:\/\//, 'no external URL in the page');
    assert.doesNotMatch(html, /<script>|<style|style=/, 'nothing inline');
    for (const src of html.match(/(?<=(src|href)=")\/[^"]+/g) ?? []) {
      const asset = await fetch(base + src);
      assert.equal(asset.status, 200, src);
      assert.ok(asset.headers.get('content-security-policy'), src);
      assert.doesNotMatch(await asset.text(), /https?:\/\/(?!www\.w3\.org)/, `${src} names no other origin`);
    }
  });
});
