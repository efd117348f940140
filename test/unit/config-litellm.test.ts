import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { Env } from '../../src/config/config.loader';
import { closestSetting, LITELLM_SETTINGS } from '../../src/config/litellm-settings';
import { loadYaml, refusedBy } from '../support/config';

const load = loadYaml;
const refused = (yaml: string, env: Env = {}) => refusedBy(() => loadYaml(yaml, env));

const MODEL = 'model_list:\n  - model_name: gpt\n    litellm_params:\n      model: gpt-4o\n';

describe('config: read as LiteLLM reads it', () => {
  it('YAML 1.1 scalars: 20_000 is a number; True, yes and on are booleans', () => {
    const c = load(
      'model_list:\n  - model_name: g\n    litellm_params:\n      model: openai/x\n      tpm: 20_000\n      rpm: 1_000\n    model_info:\n      id: y\n' +
        'general_settings:\n  enable_jwt_auth: yes\nlitellm_settings:\n  drop_params: True\n  json_logs: on\n',
    );
    assert.equal(c.models[0].tpm, 20000);
    assert.equal(c.models[0].rpm, 1000);
    assert.equal(c.models[0].id, 'y', 'PyYAML reads a lone y as text');
    assert.equal(c.jwt.enabled, true);
    assert.equal(c.router.dropParams, true);
    assert.equal(c.server.jsonLogs, true);
  });

  it('a float needs a digit, as in PyYAML: e5, .e5 and . are text, 1e5, 1.5 and .5 numbers', () => {
    const c = load(
      'model_list:\n  - model_name: e5\n    litellm_params:\n      model: openai/.e5\n      rpm: 1e5\n      tpm: .5\n' +
        '    model_info:\n      id: .\n  - model_name: E10\n    litellm_params:\n      model: openai/x\n      rpm: 1.5\n',
    );
    assert.deepEqual(
      c.models.map((m) => [m.modelName, m.upstreamModel, m.id]),
      [
        ['e5', '.e5', '.'],
        ['E10', 'x', c.models[1].id],
      ],
    );
    assert.equal(c.models[0].rpm, 100000);
    assert.equal(c.models[0].tpm, 0.5);
    assert.equal(c.models[1].rpm, 1.5);
  });

  it('a model without a provider prefix is an OpenAI model; custom_llm_provider names the provider', () => {
    const c = load(
      `${MODEL}  - model_name: dep\n    litellm_params:\n      model: my-deployment\n      custom_llm_provider: azure\n      api_base: https://x.openai.azure.com\n`,
    );
    assert.deepEqual([c.models[0].provider, c.models[0].upstreamModel], ['openai', 'gpt-4o']);
    assert.deepEqual([c.models[1].provider, c.models[1].upstreamModel], ['azure', 'my-deployment']);
    assert.equal(c.warnings.length, 0, c.warnings.join('\n'));
  });

  it('a provider the gateway lacks does not stop the start: one warning, the deployment marked unavailable', () => {
    const c = load(
      `${MODEL}  - model_name: claude\n    litellm_params:\n      model: bedrock/anthropic.claude-3\n      aws_region_name: us-east-1\n`,
    );
    assert.match(c.models[1].unavailable ?? '', /provider 'bedrock' is not implemented/);
    const about = c.warnings.filter((w) => w.includes('model_list[1]'));
    assert.equal(about.length, 2, about.join('\n')); // the provider, and aws_region_name not implemented
    assert.ok(
      about.some((w) => /model_list\[1\] \(claude\): provider 'bedrock' is not implemented.*answer 400/.test(w)),
    );
    assert.equal(c.models[0].unavailable, undefined);
  });

  it('a credential form the provider cannot use: that deployment is refused (never called without it), with a warning', () => {
    const c = load(
      'model_list:\n  - model_name: az\n    litellm_params:\n      model: azure/dep\n      api_base: https://x.openai.azure.com\n      azure_username: os.environ/AZ_USER\n' +
        '  - model_name: az\n    litellm_params:\n      model: azure/dep2\n      api_base: https://x.openai.azure.com\n      api_key: k-123456\n      azure_username: u\n',
      { AZ_USER: 'someone@example.com' },
    );
    assert.match(c.models[0].unavailable ?? '', /credential azure_username is not supported for azure deployments/);
    assert.equal(c.models[1].unavailable, undefined, 'api_key is used');
    assert.ok(
      c.warnings.some((w) => /model_list\[1\]\.litellm_params: azure_username not supported.*api_key is used/.test(w)),
    );
  });

  it('redis_host / redis_port / redis_password (router_settings, cache_params) mean the same as REDIS_URL', () => {
    const r = load('router_settings:\n  redis_host: cache.local\n  redis_port: 6380\n  redis_password: "p@ss"\n');
    assert.equal(r.redisUrl, 'redis://:p%40ss@cache.local:6380');
    assert.ok(r.secrets.includes('p@ss'));
    const c = load(
      'litellm_settings:\n  cache: true\n  cache_params:\n    type: redis\n    host: h2\n    port: "6379"\n',
    );
    assert.equal(c.redisUrl, 'redis://h2:6379');
    const env = load('router_settings:\n  redis_host: ignored\n', { REDIS_URL: 'redis://env:1' });
    assert.equal(env.redisUrl, 'redis://env:1');
  });

  it('litellm_settings: num_retries, request_timeout, fallbacks of every kind, set_verbose; router_settings win', () => {
    const c = load(
      `${MODEL}  - model_name: big\n    litellm_params:\n      model: gpt-4o-128k\n` +
        'litellm_settings:\n  num_retries: 5\n  request_timeout: 30\n  set_verbose: true\n  default_fallbacks: [big]\n' +
        '  context_window_fallbacks: [{ gpt: [big] }]\n  content_policy_fallbacks: [{ gpt: [big] }]\n' +
        'router_settings:\n  timeout: 20\n',
    );
    assert.equal(c.router.numRetries, 5);
    assert.equal(c.router.timeoutSec, 20);
    assert.equal(c.server.logLevel, 'debug');
    assert.deepEqual(c.router.defaultFallbacks, ['big']);
    assert.deepEqual(c.router.contextWindowFallbacks, { gpt: ['big'] });
    assert.deepEqual(c.router.contentPolicyFallbacks, { gpt: ['big'] });
    assert.equal(load('litellm_settings:\n  request_timeout: 30\n').router.timeoutSec, 30);
  });

  it('litellm_jwtauth.public_key_url and team_allowed_routes', () => {
    const c = load(
      'general_settings:\n  enable_jwt_auth: true\n  litellm_jwtauth:\n    public_key_url: https://idp/.well-known/openid-configuration\n    team_allowed_routes: [openai_routes]\n',
    );
    assert.deepEqual(c.jwt.publicKeyUrls, ['https://idp/.well-known/openid-configuration']);
    assert.deepEqual(c.allowedRoutes, ['openai_routes']);
    const env = load('general_settings:\n  litellm_jwtauth:\n    public_key_url: https://a\n', {
      JWT_PUBLIC_KEY_URL: 'https://b',
    });
    assert.deepEqual(env.jwt.publicKeyUrls, ['https://b']);
  });

  it('spend log retention periods in milliseconds; the interval defaults to a day', () => {
    const c = load(
      'general_settings:\n  maximum_spend_logs_retention_period: 2w\n  maximum_spend_logs_retention_interval: 12h\n',
    );
    assert.deepEqual([c.spend.retentionMs, c.spend.retentionIntervalMs], [14 * 86_400_000, 12 * 3_600_000]);
    assert.deepEqual([load('').spend.retentionMs, load('').spend.retentionIntervalMs], [null, 86_400_000]);
  });

  it('team_allowed_routes wins over allowed_routes, as the team policy and key scopes read it', () => {
    const both = load(
      'general_settings:\n  allowed_routes: [info_routes]\n  litellm_jwtauth:\n    team_allowed_routes: [openai_routes]\n',
    );
    assert.deepEqual(both.allowedRoutes, ['openai_routes']);
    assert.deepEqual(load('general_settings:\n  allowed_routes: [info_routes]\n').allowedRoutes, ['info_routes']);
  });

  it('routing_strategy: every strategy LiteLLM documents is accepted, anything else is refused naming the choices', () => {
    for (const s of [
      'least-busy',
      'usage-based-routing',
      'usage-based-routing-v2',
      'latency-based-routing',
      'cost-based-routing',
    ])
      assert.equal(load(`router_settings:\n  routing_strategy: ${s}\n`).router.routingStrategy, s);
    const err = refused('router_settings:\n  routing_strategy: fastest\n');
    assert.equal(err.keyPath, 'router_settings.routing_strategy');
    assert.match(err.problem, /simple-shuffle/);
  });
});

describe('config: misspelt settings', () => {
  it('a misspelt security setting stops the start, naming the closest known key', () => {
    let err = refused('general_settings:\n  master_kye: sk-1234\n');
    assert.equal(err.keyPath, 'general_settings.master_kye');
    assert.match(err.problem, /not a LiteLLM setting \(did you mean master_key\?\)/);
    err = refused('general_settings:\n  enable_jwt_auht: true\n');
    assert.match(err.problem, /did you mean enable_jwt_auth\?/);
    err = refused('general_settings:\n  litellm_jwtauth:\n    admin_jwt_scop: admin\n');
    assert.equal(err.keyPath, 'general_settings.litellm_jwtauth.admin_jwt_scop');
    assert.match(err.problem, /did you mean admin_jwt_scope\?/);
    err = refused('genral_settings:\n  master_key: sk-1234\n');
    assert.equal(err.keyPath, 'genral_settings');
    assert.match(err.problem, /did you mean general_settings\?/);
  });

  it('elsewhere a typo warns with the suggestion; a misspelt litellm_params is refused once, not also as missing', () => {
    const c = load(`${MODEL}      api_verison: "2024-10-21"\nrouter_settings:\n  num_retires: 3\n`);
    assert.ok(
      c.warnings.some((w) =>
        /model_list\[0\]\.litellm_params\.api_verison: not a LiteLLM setting; ignored \(did you mean api_version\?\)/.test(
          w,
        ),
      ),
    );
    assert.ok(c.warnings.some((w) => /router_settings\.num_retires: .*did you mean num_retries\?/.test(w)));
    const err = refused('model_list:\n  - model_name: a\n    litelm_params:\n      model: gpt-4o\n');
    assert.equal(err.problems.length, 1, err.message);
    assert.equal(err.keyPath, 'model_list[0].litelm_params');
    assert.match(err.problem, /did you mean litellm_params\?/);
  });

  it('every problem of the file is reported at once, one line each', () => {
    const err = refused(
      'general_settings:\n  master_kye: x\n  litellm_jwtauth:\n    leway: 5\n' +
        'model_list:\n  - model_name: a\n    litellm_params:\n      model: azure/d\n' +
        '  - model_name: b\n    litellm_params:\n      model: gpt-4o\n      rpm: lots\n' +
        '  - litellm_params:\n      model: gpt-4o\n      api_key: os.environ/NOT_SET_42\n' +
        'router_settings:\n  routing_strategy: nope\n',
    );
    const paths = err.problems.map((p) => p.keyPath).sort();
    assert.deepEqual(paths, [
      'general_settings.litellm_jwtauth.leway',
      'general_settings.master_kye',
      'model_list[0].litellm_params.api_base',
      'model_list[1].litellm_params.rpm',
      'model_list[2].litellm_params.api_key',
      'model_list[2].model_name',
      'router_settings.routing_strategy',
    ]);
    assert.equal(err.message.split('\n').length, 7);
    for (const line of err.message.split('\n')) assert.match(line, /^config error: .*config\.yaml: /);
  });

  it('suggestions come from the table, only when close', () => {
    assert.equal(closestSetting('litellm_params', 'api_verison'), 'api_version');
    assert.equal(closestSetting('top', 'litelm_settings'), 'litellm_settings');
    assert.equal(closestSetting('general_settings', 'completely_unrelated_thing'), undefined);
    for (const s of Object.values(LITELLM_SETTINGS))
      for (const k of s.ignored) assert.ok(!(k in s.implemented), `${s.path}.${k} is both implemented and ignored`);
  });
});
