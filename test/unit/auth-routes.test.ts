import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { DEFAULT_CALLER_ROUTES, ROUTE_GROUPS } from '../../src/auth/route-groups';
import { RouteMatcher, plainRoute, validateRouteList } from '../../src/auth/routes/route-matcher';
import { RoutePolicies } from '../../src/auth/routes/route-policies';
import { ConfigError } from '../../src/config/config.error';
import { loadGatewayConfig } from '../../src/config/config.loader';
import { ROOT, writeConfig } from '../support/gateway';

const matcher = (entries: string[]) => RouteMatcher.compile(entries).matcher;
const policies = (yaml: string) =>
  new RoutePolicies(loadGatewayConfig({ argv: ['--config', writeConfig(yaml)], env: {}, cwd: ROOT }));

describe('route groups table', () => {
  it("holds LiteLLM's groups, plus OpenAI model retrieval, the path form of /key/regenerate and Anthropic's /v1/messages (with count_tokens)", () => {
    assert.deepEqual(ROUTE_GROUPS, {
      openai_routes: [
        '/chat/completions',
        '/v1/chat/completions',
        '/embeddings',
        '/v1/embeddings',
        '/models',
        '/v1/models',
        '/models/{model}',
        '/v1/models/{model}',
        '/openai/deployments/{model}/chat/completions',
        '/openai/deployments/{model}/embeddings',
        '/v1/messages',
        '/v1/messages/count_tokens',
        '/responses',
        '/v1/responses',
        '/responses/{response_id}',
        '/v1/responses/{response_id}',
        '/responses/{response_id}/input_items',
        '/v1/responses/{response_id}/input_items',
        '/responses/{response_id}/cancel',
        '/v1/responses/{response_id}/cancel',
        '/openai/deployments/{model}/responses',
        '/completions',
        '/v1/completions',
        '/openai/deployments/{model}/completions',
        '/moderations',
        '/v1/moderations',
        '/openai/deployments/{model}/moderations',
        '/images/generations',
        '/v1/images/generations',
        '/openai/deployments/{model}/images/generations',
        '/audio/speech',
        '/v1/audio/speech',
        '/openai/deployments/{model}/audio/speech',
        '/audio/transcriptions',
        '/v1/audio/transcriptions',
        '/openai/deployments/{model}/audio/transcriptions',
        '/audio/translations',
        '/v1/audio/translations',
        '/openai/deployments/{model}/audio/translations',
      ],
      info_routes: [
        '/key/info',
        '/key/health',
        '/v2/key/info',
        '/team/info',
        '/user/info',
        '/customer/info',
        '/end_user/info',
        '/model/info',
        '/v1/model/info',
        '/v2/model/info',
        '/model_group/info',
        '/health',
      ],
      management_routes: [
        '/key/generate',
        '/key/update',
        '/key/delete',
        '/key/regenerate',
        '/key/{key}/regenerate',
        '/key/list',
        '/key/block',
        '/key/unblock',
        '/team/new',
        '/team/info',
        '/team/update',
        '/team/delete',
        '/team/list',
        '/team/block',
        '/team/unblock',
        '/team/member_add',
        '/team/member_delete',
        '/team/member_update',
        '/user/new',
        '/user/info',
        '/user/update',
        '/user/delete',
        '/user/list',
        '/user/available_roles',
        '/customer/new',
        '/customer/info',
        '/customer/update',
        '/customer/delete',
        '/customer/list',
        '/customer/block',
        '/customer/unblock',
        '/end_user/new',
        '/end_user/info',
        '/end_user/update',
        '/end_user/delete',
        '/end_user/list',
        '/end_user/block',
        '/end_user/unblock',
        '/budget/new',
        '/budget/update',
        '/budget/info',
        '/budget/settings',
        '/budget/list',
        '/budget/delete',
      ],
      spend_tracking_routes: [
        '/spend/logs',
        '/spend/tags',
        '/spend/calculate',
        '/global/spend',
        '/global/spend/tags',
        '/global/spend/keys',
        '/global/spend/teams',
        '/global/spend/models',
        '/global/spend/end_users',
        '/global/spend/report',
        '/global/activity',
      ],
      public_routes: [
        '/health/liveliness',
        '/health/liveness',
        '/health/readiness',
        '/metrics',
        '/',
        '/openapi.json',
        '/docs',
        '/docs/init.js',
        '/docs/swagger-ui.css',
        '/docs/swagger-ui-bundle.js',
        '/docs/favicon-32x32.png',
        '/ui',
        '/ui/app.js',
        '/ui/app.css',
        '/ui/config.json',
      ],
    });
    assert.deepEqual(DEFAULT_CALLER_ROUTES, ['openai_routes', 'info_routes']);
  });
});

describe('plainRoute', () => {
  it('drops /v1, a trailing slash and the Azure prefixes (deployment, /openai, /openai/v1), and unifies parameters', () => {
    const cases: [string, string][] = [
      ['/v1/chat/completions', '/chat/completions'],
      ['/chat/completions/', '/chat/completions'],
      ['/openai/deployments/:model/chat/completions', '/chat/completions'],
      ['/openai/deployments/{model}/embeddings', '/embeddings'],
      ['/openai/deployments/gpt-4o/chat/completions', '/chat/completions'],
      ['/openai/v1/deployments/:model/chat/completions', '/chat/completions'],
      ['/openai/v1/deployments/gpt-4o/embeddings', '/embeddings'],
      ['/v1/models/:model', '/models/:'],
      ['/models/{model}', '/models/:'],
      ['/key/:key/regenerate', '/key/:/regenerate'],
      ['/v1', '/v1'],
      ['/', '/'],
      ['/v1model/info', '/v1model/info'],
      ['/openai/deployments/x', '/openai/deployments/x'],
      ['/openai/chat/completions', '/chat/completions'],
      ['/openai/v1/responses/:response_id', '/responses/:'],
      ['/openai/models', '/models'],
      ['/openai/v1/audio/transcriptions', '/audio/transcriptions'],
    ];
    for (const [input, expected] of cases) assert.equal(plainRoute(input), expected, input);
  });
});

describe('RouteMatcher', () => {
  it('expands group names to their routes, with and without /v1 and in the Azure form', () => {
    const m = matcher(['openai_routes']);
    for (const r of [
      '/chat/completions',
      '/v1/chat/completions',
      '/openai/deployments/:model/chat/completions',
      '/v1/models',
      '/models/:model',
      '/embeddings',
    ]) {
      assert.ok(m.matches(r), r);
    }
    for (const r of ['/key/generate', '/chat/completions/extra', '/chat', '/model/info', '/health/liveliness'])
      assert.ok(!m.matches(r), r);
  });

  it('matches a literal path with or without /v1, and in the Azure form', () => {
    const m = matcher(['/chat/completions', '/v1/embeddings']);
    for (const r of [
      '/chat/completions',
      '/v1/chat/completions',
      '/openai/deployments/:model/chat/completions',
      '/embeddings',
      '/openai/deployments/:model/embeddings',
    ]) {
      assert.ok(m.matches(r), r);
    }
    assert.ok(!m.matches('/models'));
    assert.ok(matcher(['/key/{key}/regenerate']).matches('/key/:key/regenerate'));
  });

  it('matches prefix* wildcards against the route as registered and in its plain form', () => {
    const keys = matcher(['/key/*']);
    for (const r of ['/key/generate', '/key/info', '/key/:key/regenerate']) assert.ok(keys.matches(r), r);
    for (const r of ['/keys', '/model/info', '/v1/chat/completions']) assert.ok(!keys.matches(r), r);
    const v1 = matcher(['/v1/*']);
    assert.ok(v1.matches('/v1/models'));
    assert.ok(!v1.matches('/models'), 'a /v1/ wildcard is about routes registered under /v1');
    assert.ok(!v1.matches('/key/generate'));
    const chat = matcher(['/chat/*']);
    assert.ok(chat.matches('/openai/deployments/:model/chat/completions'));
    assert.ok(chat.matches('/v1/chat/completions'));
    assert.ok(matcher(['*']).matches('/anything/at/all'));
  });

  it('an Azure path naming one deployment allows that deployment alone, not the route of every model', () => {
    const azureChat = '/openai/deployments/:model/chat/completions';
    const m = matcher(['/openai/deployments/gpt-4o/chat/completions']);
    for (const r of ['/chat/completions', '/v1/chat/completions', '/openai/chat/completions', azureChat])
      assert.ok(!m.matches(r), r);
    assert.ok(m.matchesDeployment(azureChat, 'gpt-4o'));
    assert.ok(m.matchesDeployment('/openai/v1/deployments/:model/chat/completions', 'gpt-4o'));
    assert.ok(!m.matchesDeployment('/openai/v1/deployments/:model/chat/completions', 'other'));
    for (const [route, deployment] of [
      [azureChat, 'other'],
      [azureChat, 'GPT-4o'],
      ['/openai/deployments/:model/embeddings', 'gpt-4o'],
      ['/chat/completions', 'gpt-4o'],
      ['/models/:model', 'gpt-4o'],
    ])
      assert.ok(!m.matchesDeployment(route, deployment), `${route} ${deployment}`);
    const wide = matcher(['/openai/deployments/gpt-4o/*', '/v1/openai/deployments/gpt%2D5/embeddings/']);
    assert.ok(wide.matchesDeployment(azureChat, 'gpt-4o'));
    assert.ok(wide.matchesDeployment('/openai/deployments/:model/embeddings', 'gpt-4o'));
    assert.ok(wide.matchesDeployment('/openai/deployments/:model/embeddings', 'gpt-5'));
    assert.ok(!wide.matchesDeployment(azureChat, 'gpt-5'));
    // A deployment named unreadably is refused, never read as the plain route (which would allow every model).
    const odd = ['/openai/deployments/gpt%ZZ/chat/completions', '/openai/deployments/g*t/chat/completions'];
    const { matcher: none, invalid } = RouteMatcher.compile([...odd, '/openai/deployments/gpt{x}/chat/completions']);
    assert.deepEqual(invalid, odd);
    assert.ok(!none.matches('/chat/completions') && !none.matches(azureChat));
    assert.ok(none.matchesDeployment(azureChat, 'gpt{x}'));
    // The parameter forms stay the route of every model.
    for (const entry of ['/openai/deployments/{model}/chat/completions', '/openai/deployments/:model/chat/completions'])
      assert.ok(matcher([entry]).matches('/chat/completions') && matcher([entry]).matches(azureChat), entry);
    // A parameter in a wildcard is every deployment's Azure routes, as `/openai/deployments/*` is.
    for (const entry of ['/openai/deployments/{model}/*', '/openai/deployments/:model/*', '/openai/deployments/*']) {
      const every = matcher([entry]);
      assert.ok(every.matches(azureChat) && every.matches('/openai/deployments/:model/embeddings'), entry);
      assert.ok(!every.matches('/chat/completions'), entry);
    }
    assert.ok(!matcher(['/openai/deployments/{model}/chat*']).matches('/openai/deployments/:model/embeddings'));
    // A wildcard inside a deployment name, or a query string, would match nothing: refused, saying why.
    const partial = [
      '/openai/deployments/gpt*',
      '/v1/openai/deployments/g*',
      '/chat/completions?api-version=2024-10-21',
    ];
    assert.deepEqual(RouteMatcher.compile(partial).invalid, partial);
    assert.match(validateRouteList(partial)!, /no query string.*"\/openai\/deployments\/gpt-4o\/\*", not/);
    // Through a policy: refused by route, then allowed for the named deployment only (the refusal is not remembered
    // as the deployment's answer).
    const policy = policies('general_settings: {}\n').forKey(['/openai/deployments/gpt-4o/chat/completions']);
    assert.ok(!policy.allows(azureChat, 'other'));
    assert.ok(policy.allows(azureChat, 'gpt-4o'));
    assert.ok(!policy.allows(azureChat));
    assert.ok(!policy.allows('/chat/completions', 'gpt-4o'));
  });

  it('refuses unknown group names and malformed entries, which then match nothing', () => {
    const { matcher: m, invalid } = RouteMatcher.compile(['llm_api_routes', 'chat/completions', '/ok', 'key*', '/a*b']);
    assert.deepEqual(invalid, ['llm_api_routes', 'chat/completions', 'key*', '/a*b']);
    assert.ok(!m.matches('/chat/completions'));
    assert.ok(m.matches('/ok'));
    assert.match(
      validateRouteList(['management_routes', 'admin_routes'])!,
      /"admin_routes".*openai_routes, info_routes, management_routes, spend_tracking_routes, public_routes/,
    );
    assert.equal(validateRouteList(['management_routes', '/x', '/y/*']), null);
  });
});

describe('RoutePolicies (compiled from the config once)', () => {
  it('defaults: admin JWT management + info, team JWT and virtual keys openai + info, master everything', () => {
    const p = policies('general_settings:\n  enable_jwt_auth: true\n');
    assert.ok(
      p.adminJwt.allows('/key/generate') &&
        p.adminJwt.allows('/v1/model/info') &&
        p.adminJwt.allows('/key/:key/regenerate'),
    );
    assert.ok(!p.adminJwt.allows('/v1/chat/completions'));
    for (const policy of [p.teamJwt, p.virtualKey]) {
      assert.ok(
        policy.allows('/v1/chat/completions') &&
          policy.allows('/key/info') &&
          policy.allows('/openai/deployments/:model/embeddings'),
      );
      assert.ok(!policy.allows('/key/generate') && !policy.allows('/key/list'));
    }
    assert.ok(p.master.allows('/anything'));
    assert.equal(p.teamJwt.allows('/key/generate'), false, 'a cached decision gives the same answer');
  });

  it('uses general_settings.allowed_routes for team JWTs and admin_allowed_routes for admins', () => {
    const p = policies(`general_settings:
  allowed_routes: ["/chat/completions", "/embeddings"]
  litellm_jwtauth:
    admin_allowed_routes: ["management_routes", "openai_routes"]
`);
    assert.ok(p.teamJwt.allows('/v1/chat/completions') && p.teamJwt.allows('/embeddings'));
    assert.ok(!p.teamJwt.allows('/models') && !p.teamJwt.allows('/key/info'));
    assert.ok(p.adminJwt.allows('/v1/chat/completions') && !p.adminJwt.allows('/key/info'));
    assert.match(p.teamJwt.describe(), /\/chat\/completions, \/embeddings/);
  });

  it('compiles a virtual key list once per distinct list', () => {
    const p = policies('general_settings: {}\n');
    assert.equal(p.forKey([]), p.virtualKey);
    const a = p.forKey(['/key/info', '/spend/*']);
    assert.equal(p.forKey(['/key/info', '/spend/*']), a);
    assert.ok(a.allows('/spend/logs') && !a.allows('/chat/completions'));
    assert.ok(!p.forKey(['no_such_group']).allows('/chat/completions'), 'an invalid key list grants nothing');
    // Two lists that a join would confuse keep their own policies, whichever is used first.
    const wideList = ['/key/info', '/key/generate'];
    const oddList = ['/key/info\n/key/generate'];
    for (const wideFirst of [true, false]) {
      const q = policies('general_settings: {}\n');
      const odd = wideFirst ? (q.forKey(wideList), q.forKey(oddList)) : q.forKey(oddList);
      const wide = q.forKey(wideList);
      assert.ok(wide.allows('/key/generate') && wide.allows('/key/info'));
      assert.ok(!odd.allows('/key/generate') && !odd.allows('/key/info'), 'an entry with a newline grants nothing');
    }
  });

  it('stops the start on an invalid entry, naming the file and the key path', () => {
    assert.throws(
      () => policies('general_settings:\n  allowed_routes: ["openai_routes", "llm_api_routes"]\n'),
      (err: unknown) =>
        err instanceof ConfigError &&
        err.keyPath === 'general_settings.allowed_routes' &&
        /llm_api_routes/.test(err.message),
    );
    assert.throws(
      () => policies('general_settings:\n  litellm_jwtauth:\n    admin_allowed_routes: ["management"]\n'),
      (err: unknown) =>
        err instanceof ConfigError && err.keyPath === 'general_settings.litellm_jwtauth.admin_allowed_routes',
    );
  });

  it("reaches LiteLLM's model group and spend reads: info for every caller, spend for admins, viewers and (of their role's) internal users", () => {
    const p = policies('general_settings:\n  enable_jwt_auth: true\n');
    const spend = [
      '/spend/tags',
      '/global/spend',
      '/global/spend/tags',
      '/global/spend/keys',
      '/global/spend/teams',
      '/global/spend/models',
      '/global/spend/end_users',
      '/global/activity',
    ];
    for (const r of spend) {
      assert.ok(p.adminJwt.allows(r) && p.viewerJwt.allows(r), `${r}: admin and viewer`);
      for (const other of [p.teamJwt, p.virtualKey]) assert.ok(!other.allows(r), `${r}: not by default`);
    }
    // LiteLLM's internal_user routes: its own spend reads, but no proxy-wide total or per-team chart.
    const internal = spend.filter((r) => p.internalUserJwt.allows(r));
    assert.deepEqual(internal, [
      '/spend/tags',
      '/global/spend/tags',
      '/global/spend/keys',
      '/global/spend/models',
      '/global/spend/end_users',
      '/global/activity',
    ]);
    assert.ok(p.internalUserJwt.allows('/spend/logs') && !p.internalUserJwt.allows('/global/spend/report'));
    assert.ok(p.internalUserViewer.allows('/global/spend/report') && !p.internalUserViewer.allows('/key/generate'));
    for (const r of ['/v2/model/info', '/model_group/info'])
      for (const any of [p.adminJwt, p.viewerJwt, p.teamJwt, p.virtualKey, p.internalUserJwt])
        assert.ok(any.allows(r), `${r}: ${any.role}`);
    assert.ok(p.forKey(['spend_tracking_routes']).allows('/global/spend/keys'), 'a key granted the group reaches them');
  });
});
