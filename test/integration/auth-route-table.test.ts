import assert from 'node:assert/strict';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import { ROUTE_GROUPS } from '../../src/auth/route-groups';
import { isDirectHandler } from '../../src/common/http/direct-routes';
import { createGateway } from '../../src/bootstrap';
import { loadGatewayConfig } from '../../src/config/config.loader';
import { createLogger } from '../../src/logging/logger';
import { LogCapture, ROOT, readJson, writeConfig } from '../support/gateway';
import { startOidcProvider, type TestOidcProvider } from '../support/oidc';
import { createTestDatabase } from '../support/postgres';

/**
 * Every route the full gateway registers, and who may call it: each cell is a real request through the real
 * guard. The table is compared with test/snapshots/route-permissions.txt; a difference fails the test, so a
 * permission change is always reviewed. Rewrite the snapshot with `UPDATE_SNAPSHOTS=1 npm test -- auth-route-table`.
 */
const SNAPSHOT = join(ROOT, 'test', 'snapshots', 'route-permissions.txt');
const MASTER = 'sk-route-table-master-01';
const BODY_METHODS = new Set(['POST', 'PUT', 'PATCH']);

interface Route {
  method: string;
  url: string;
  /** Served by a direct route (common/http/direct-routes.ts) instead of Nest's per-request pipeline. */
  direct: boolean;
}

interface Gateway {
  url: string;
  app: NestFastifyApplication;
  routes: Route[];
}

/** The full app, as startGateway boots it, with an onRoute hook to list what gets registered. */
async function bootWithRoutes(yaml: string, env: Record<string, string>): Promise<Gateway> {
  const config = loadGatewayConfig({ argv: ['--config', writeConfig(yaml)], env: { ...env, PORT: '0' }, cwd: ROOT });
  const app = await createGateway(config, createLogger({ level: 'warn', secrets: config.secrets }, new LogCapture()));
  const routes: Route[] = [];
  app
    .getHttpAdapter()
    .getInstance()
    .addHook('onRoute', (opts) => {
      for (const method of [opts.method].flat())
        if (method !== 'HEAD' && method !== 'OPTIONS')
          routes.push({ method, url: opts.url, direct: isDirectHandler(opts.handler) });
    });
  await app.listen(0, '127.0.0.1');
  const { port } = app.getHttpServer().address() as { port: number };
  return { url: `http://127.0.0.1:${port}`, app, routes };
}

/** Whether the guard let the request through: yes / no, or the unexpected answer (which fails the test). */
async function verdict(base: string, route: Route, credential: string | null): Promise<string> {
  const path = route.url.replace(/:(\w+)/g, 'probe-$1').replace(/\*/g, 'x');
  const headers: Record<string, string> = {};
  if (credential) headers.authorization = `Bearer ${credential}`;
  if (BODY_METHODS.has(route.method)) headers['content-type'] = 'application/json';
  const res = await fetch(base + path, {
    method: route.method,
    headers,
    body: BODY_METHODS.has(route.method) ? '{}' : undefined,
    signal: AbortSignal.timeout(15_000),
  });
  const text = await res.text();
  let code: string | undefined;
  try {
    code = JSON.parse(text)?.error?.code;
  } catch {
    /* not JSON: a handler answered */
  }
  if (credential === null) return res.status === 401 && code === 'missing_api_key' ? 'no' : 'yes';
  if (res.status === 403 && code === 'route_not_allowed') return 'no';
  if (res.status === 401) return `401:${code}`;
  return 'yes';
}

describe('route permission table (full gateway, every registered route, real credentials)', () => {
  let idp: TestOidcProvider;
  let db: Awaited<ReturnType<typeof createTestDatabase>>;
  let main: Gateway;
  let restricted: Gateway;
  let table: string;
  let rows: { route: Route; cells: Record<string, string> }[];
  const COLUMNS = [
    'anonymous',
    'virtual-key',
    'team-jwt+allowed_routes',
    'team-jwt',
    'internal-user-jwt',
    'viewer-jwt',
    'internal-viewer-user-key',
    'internal-user-key',
    'viewer-user-key',
    'admin-user-key',
    'admin-jwt',
    'master-key',
  ] as const;

  before(async () => {
    idp = await startOidcProvider({
      clients: [
        { clientId: 'table-admin', scope: 'litellm_proxy_admin' },
        { clientId: 'table-team' },
        { clientId: 'table-user', claims: { groups: ['idp-users'] } },
        { clientId: 'table-viewer', claims: { groups: ['idp-viewers'] } },
      ],
    });
    db = await createTestDatabase();
    const env = { DATABASE_URL: db.url, JWT_PUBLIC_KEY_URL: idp.jwksUri, JWT_AUDIENCE: idp.audience };
    // Role mappings for the internal_user and proxy_admin_viewer columns (the other tokens hold no group).
    const base = `general_settings:
  master_key: ${MASTER}
  enable_jwt_auth: true
  litellm_jwtauth:
    roles_jwt_field: groups
    role_mappings:
      - { role: idp-users, internal_role: internal_user }
      - { role: idp-viewers, internal_role: proxy_admin_viewer }
`;
    main = await bootWithRoutes(base, env);
    restricted = await bootWithRoutes(`${base}  allowed_routes: ["/chat/completions", "/embeddings"]\n`, env);
    const generated = await fetch(`${main.url}/key/generate`, {
      method: 'POST',
      headers: { authorization: `Bearer ${MASTER}`, 'content-type': 'application/json' },
      body: '{}',
    });
    const key = (await readJson(generated)).key as string;
    assert.equal(generated.status, 200, 'the master key generates the virtual key used in the table');
    // Keys of users with a user_role, which they act with (/user/new answers the user's key).
    const userKey = async (role: string): Promise<string> => {
      const made = await fetch(`${main.url}/user/new`, {
        method: 'POST',
        headers: { authorization: `Bearer ${MASTER}`, 'content-type': 'application/json' },
        body: JSON.stringify({ user_id: `table-${role}`, user_role: role }),
      });
      const body = await readJson(made);
      assert.equal(made.status, 200, JSON.stringify(body));
      return body.key as string;
    };
    const adminJwt = await idp.token('table-admin', 'litellm_proxy_admin');
    const teamJwt = await idp.token('table-team');
    const userJwt = await idp.token('table-user');
    const viewerJwt = await idp.token('table-viewer');
    const callers: Record<(typeof COLUMNS)[number], { gw: Gateway; credential: string | null }> = {
      anonymous: { gw: main, credential: null },
      'virtual-key': { gw: main, credential: key },
      'team-jwt+allowed_routes': { gw: restricted, credential: teamJwt },
      'team-jwt': { gw: main, credential: teamJwt },
      'internal-user-jwt': { gw: main, credential: userJwt },
      'viewer-jwt': { gw: main, credential: viewerJwt },
      'internal-viewer-user-key': { gw: main, credential: await userKey('internal_user_viewer') },
      'internal-user-key': { gw: main, credential: await userKey('internal_user') },
      'viewer-user-key': { gw: main, credential: await userKey('proxy_admin_viewer') },
      'admin-user-key': { gw: main, credential: await userKey('proxy_admin') },
      'admin-jwt': { gw: main, credential: adminJwt },
      'master-key': { gw: main, credential: MASTER },
    };
    const seen = new Set<string>();
    const routes = main.routes
      .filter((r) => !seen.has(`${r.method} ${r.url}`) && seen.add(`${r.method} ${r.url}`))
      .sort((a, b) => a.url.localeCompare(b.url) || a.method.localeCompare(b.method));
    rows = routes.map((route) => ({ route, cells: {} }));
    // Column by column, master last: nothing a refused caller tries can disturb the callers after it.
    for (const column of COLUMNS)
      for (const row of rows)
        row.cells[column] = await verdict(callers[column].gw.url, row.route, callers[column].credential);
    const width = Math.max(...rows.map((r) => r.route.url.length), 5);
    const widths = [7, width + 2, ...COLUMNS.map((c) => c.length + 2)];
    const line = (cells: string[]) =>
      cells
        .map((c, i) => c.padEnd(widths[i]))
        .join('')
        .trimEnd();
    table = [
      '# Who may call each route of the gateway. Generated by test/integration/auth-route-table.test.ts from real',
      '# requests through the auth guard; review a change here like a permission change.',
      '# Rewrite: UPDATE_SNAPSHOTS=1 npm test -- auth-route-table',
      '# yes = the guard lets the caller through (the handler may still refuse); no = 401 (anonymous) / 403.',
      '# team-jwt+allowed_routes: general_settings.allowed_routes = ["/chat/completions", "/embeddings"].',
      '# internal-user-jwt, viewer-jwt: JWTs whose IdP group role_mappings maps to internal_user, proxy_admin_viewer.',
      '# *-user-key: virtual keys of users whose user_role is internal_user_viewer, internal_user, proxy_admin_viewer,',
      '# proxy_admin (a key acts with its user role; virtual-key: a key of no user).',
      line(['METHOD', 'ROUTE', ...COLUMNS]),
      ...rows.map((r) => line([r.route.method, r.route.url, ...COLUMNS.map((c) => r.cells[c])])),
      '',
    ].join('\n');
  });
  after(async () => {
    await main?.app.close();
    await restricted?.app.close();
    await db?.drop();
    await idp?.stop();
  });

  it('matches the reviewed snapshot', () => {
    if (process.env.UPDATE_SNAPSHOTS === '1' || !existsSync(SNAPSHOT)) {
      mkdirSync(dirname(SNAPSHOT), { recursive: true });
      writeFileSync(SNAPSHOT, table);
      if (process.env.UPDATE_SNAPSHOTS !== '1')
        assert.fail(`no snapshot yet: wrote ${SNAPSHOT}; review it, then run again`);
      return;
    }
    const expected = readFileSync(SNAPSHOT, 'utf8');
    assert.equal(
      table,
      expected,
      `route permissions changed; review, then UPDATE_SNAPSHOTS=1 npm test -- auth-route-table\n${table}`,
    );
  });

  it('serves exactly the model-call routes directly, through the same guard as the table shows', () => {
    const direct = rows.filter((r) => r.route.direct).map((r) => `${r.route.method} ${r.route.url}`);
    assert.deepEqual(direct, [
      'POST /audio/speech',
      'POST /audio/transcriptions',
      'POST /audio/translations',
      'POST /chat/completions',
      'POST /completions',
      'POST /embeddings',
      'POST /images/generations',
      'POST /moderations',
      'POST /openai/audio/speech',
      'POST /openai/audio/transcriptions',
      'POST /openai/audio/translations',
      'POST /openai/chat/completions',
      'POST /openai/completions',
      'POST /openai/deployments/:model/audio/speech',
      'POST /openai/deployments/:model/audio/transcriptions',
      'POST /openai/deployments/:model/audio/translations',
      'POST /openai/deployments/:model/chat/completions',
      'POST /openai/deployments/:model/completions',
      'POST /openai/deployments/:model/embeddings',
      'POST /openai/deployments/:model/images/generations',
      'POST /openai/deployments/:model/moderations',
      'POST /openai/deployments/:model/responses',
      'POST /openai/embeddings',
      'POST /openai/images/generations',
      'POST /openai/moderations',
      'POST /openai/responses',
      'DELETE /openai/responses/:response_id',
      'GET /openai/responses/:response_id',
      'POST /openai/responses/:response_id/cancel',
      'GET /openai/responses/:response_id/input_items',
      'POST /openai/v1/audio/speech',
      'POST /openai/v1/audio/transcriptions',
      'POST /openai/v1/audio/translations',
      'POST /openai/v1/chat/completions',
      'POST /openai/v1/completions',
      'POST /openai/v1/deployments/:model/audio/speech',
      'POST /openai/v1/deployments/:model/audio/transcriptions',
      'POST /openai/v1/deployments/:model/audio/translations',
      'POST /openai/v1/deployments/:model/chat/completions',
      'POST /openai/v1/deployments/:model/completions',
      'POST /openai/v1/deployments/:model/embeddings',
      'POST /openai/v1/deployments/:model/images/generations',
      'POST /openai/v1/deployments/:model/moderations',
      'POST /openai/v1/deployments/:model/responses',
      'POST /openai/v1/embeddings',
      'POST /openai/v1/images/generations',
      'POST /openai/v1/moderations',
      'POST /openai/v1/responses',
      'DELETE /openai/v1/responses/:response_id',
      'GET /openai/v1/responses/:response_id',
      'POST /openai/v1/responses/:response_id/cancel',
      'GET /openai/v1/responses/:response_id/input_items',
      'POST /responses',
      'DELETE /responses/:response_id',
      'GET /responses/:response_id',
      'POST /responses/:response_id/cancel',
      'GET /responses/:response_id/input_items',
      'POST /v1/audio/speech',
      'POST /v1/audio/transcriptions',
      'POST /v1/audio/translations',
      'POST /v1/chat/completions',
      'POST /v1/completions',
      'POST /v1/embeddings',
      'POST /v1/images/generations',
      'POST /v1/messages',
      'POST /v1/messages/count_tokens',
      'POST /v1/moderations',
      'POST /v1/responses',
      'DELETE /v1/responses/:response_id',
      'GET /v1/responses/:response_id',
      'POST /v1/responses/:response_id/cancel',
      'GET /v1/responses/:response_id/input_items',
    ]);
    // Guarded as every other route: refused without a credential (401) and for an admin JWT, whose role may not
    // call models (403 route_not_allowed); let through for the callers whose role may.
    for (const r of rows.filter((x) => x.route.direct)) {
      assert.equal(r.cells.anonymous, 'no', `${r.route.url} without a credential`);
      assert.equal(r.cells['admin-jwt'], 'no', `${r.route.url} for an admin JWT`);
      assert.equal(r.cells['viewer-jwt'], 'no', `${r.route.url} for a proxy_admin_viewer JWT`);
      for (const c of ['virtual-key', 'team-jwt', 'internal-user-jwt', 'master-key'] as const)
        assert.equal(r.cells[c], 'yes', `${r.route.url} for ${c}`);
    }
  });

  it('leaves open exactly the public routes that exist, and nothing else', () => {
    const publicRoutes = new Set<string>(ROUTE_GROUPS.public_routes);
    const open = rows.filter((r) => r.cells.anonymous === 'yes').map((r) => r.route.url);
    assert.deepEqual(
      open.filter((u) => !publicRoutes.has(u)),
      [],
      'a route answers without a credential but is not in public_routes',
    );
    const registered = new Set(rows.map((r) => r.route.url));
    for (const p of publicRoutes)
      if (registered.has(p)) assert.ok(open.includes(p), `${p} is a public route but needs a credential`);
    assert.ok(open.length >= 3, 'the health probes are public');
  });

  it('lets the master key through everywhere and never refuses a valid credential with 401', () => {
    for (const r of rows) {
      assert.equal(r.cells['master-key'], 'yes', `${r.route.method} ${r.route.url}`);
      for (const c of COLUMNS)
        assert.ok(!r.cells[c].startsWith('401'), `${c} got ${r.cells[c]} on ${r.route.method} ${r.route.url}`);
    }
  });
});
