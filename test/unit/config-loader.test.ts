import assert from 'node:assert/strict';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { ConfigError } from '../../src/config/config.error';
import { loadGatewayConfig, type Env } from '../../src/config/config.loader';
import { tempDir, writeConfig } from '../support/gateway';

const MODEL = 'model_list:\n  - model_name: gpt\n    litellm_params:\n      model: openai/gpt-4o\n';

function load(yaml: string | null, env: Env = {}, argv: string[] = [], cwd = tempDir('gw-cwd-')) {
  const args = yaml === null ? argv : ['--config', writeConfig(yaml), ...argv];
  return loadGatewayConfig({ argv: args, env, cwd });
}

/** Asserts the load fails with a ConfigError whose one-line message names the key path and the problem. */
function fails(fn: () => unknown, keyPath: string, problem: RegExp): ConfigError {
  try {
    fn();
  } catch (err) {
    assert.ok(err instanceof ConfigError, `expected a ConfigError, got ${String(err)}`);
    assert.equal(err.keyPath, keyPath);
    assert.match(err.problem, problem);
    assert.doesNotMatch(err.message, /\n/, 'one line');
    assert.ok(err.message.startsWith(`config error: ${err.source}`), err.message);
    return err;
  }
  assert.fail('expected the config to be refused');
}

describe('config loader: the seed config', () => {
  const seed = `
model_list:
  - model_name: azure-gpt-3.5
    litellm_params:
      model: azure/my-deployment
      api_base: os.environ/AZURE_API_BASE
      api_key: os.environ/AZURE_API_KEY
      api_version: "2023-07-01-preview"
      rpm: 600
      tpm: 100000
      weight: 1
      timeout: 60
    model_info:
      input_cost_per_token: 0.0000005
      output_cost_per_token: 0.0000015
general_settings:
  master_key: sk-1234
  enable_jwt_auth: true
  allowed_routes: ["/chat/completions", "/embeddings"]
  litellm_jwtauth:
    admin_jwt_scope: litellm_proxy_admin
    team_id_jwt_field: client_id
    user_id_jwt_field: sub
    admin_allowed_routes: ["management_routes", "info_routes"]
    public_key_ttl: 600
    public_key_stale_ttl: 120
    audience: my-gateway
    issuer: https://idp.example/realms/x
    leeway: 5
router_settings:
  routing_strategy: simple-shuffle
  num_retries: 2
  allowed_fails: 3
  cooldown_time: 5
  timeout: 60
  fallbacks: [{ "azure-gpt-3.5": ["azure-gpt-3.5"] }]
`;
  const env = { AZURE_API_BASE: 'https://example.openai.azure.com/', AZURE_API_KEY: 'azure-secret-key-1' };

  it('resolves os.environ/ references and types every section', () => {
    const c = load(seed, env);
    assert.equal(c.models.length, 1);
    const m = c.models[0];
    assert.equal(m.modelName, 'azure-gpt-3.5');
    assert.equal(m.provider, 'azure');
    assert.equal(m.upstreamModel, 'my-deployment');
    assert.equal(m.apiBase, 'https://example.openai.azure.com', 'trailing slash trimmed');
    assert.equal(m.apiKey, 'azure-secret-key-1');
    assert.equal(m.apiVersion, '2023-07-01-preview');
    assert.deepEqual([m.rpm, m.tpm, m.weight, m.timeoutSec], [600, 100000, 1, 60]);
    assert.equal(m.inputCostPerToken, 0.0000005);
    assert.equal(c.masterKey, 'sk-1234');
    assert.equal(c.jwt.enabled, true);
    assert.deepEqual(c.jwt.audience, ['my-gateway']);
    assert.deepEqual(c.jwt.issuer, ['https://idp.example/realms/x']);
    assert.equal(c.jwt.leewaySec, 5);
    assert.equal(c.jwt.publicKeyStaleTtlSec, 120);
    assert.deepEqual(c.allowedRoutes, ['/chat/completions', '/embeddings']);
    assert.deepEqual(c.router.fallbacks, { 'azure-gpt-3.5': ['azure-gpt-3.5'] });
    assert.deepEqual(c.warnings, []);
  });

  it('Entra ID settings of azure deployments: read, their secrets redacted, the authority host from the environment', () => {
    const c = load(
      'model_list:\n  - model_name: a\n    litellm_params:\n      model: azure/d\n      api_base: https://r.example\n' +
        '      tenant_id: t-1\n      client_id: c-1\n      client_secret: entra-secret-1\n' +
        '  - model_name: b\n    litellm_params:\n      model: azure/e\n      api_base: https://r.example\n' +
        '      azure_ad_token: fixed-ad-token-1\n',
      { AZURE_AUTHORITY_HOST: 'https://login.microsoftonline.us' },
    );
    assert.deepEqual(
      [c.models[0].tenantId, c.models[0].clientId, c.models[0].clientSecret],
      ['t-1', 'c-1', 'entra-secret-1'],
    );
    assert.equal(c.models[1].azureAdToken, 'fixed-ad-token-1');
    assert.ok(c.secrets.includes('entra-secret-1') && c.secrets.includes('fixed-ad-token-1'));
    assert.equal(c.azureAuthorityHost, 'https://login.microsoftonline.us');
    assert.equal(load(null).azureAuthorityHost, 'https://login.microsoftonline.com');
  });

  it('lists every secret for log redaction and freezes the result', () => {
    const c = load(seed, {
      ...env,
      DATABASE_URL: 'postgresql://u:db-pass-77@h/db',
      REDIS_URL: 'redis://:redis-pass-9@h:6379',
    });
    for (const s of ['sk-1234', 'azure-secret-key-1', 'db-pass-77', 'redis-pass-9'])
      assert.ok(c.secrets.includes(s), s);
    assert.ok(
      Object.isFrozen(c) && Object.isFrozen(c.models) && Object.isFrozen(c.models[0]) && Object.isFrozen(c.jwt),
    );
    assert.throws(() => {
      (c as { masterKey?: string }).masterKey = 'x';
    }, TypeError);
  });
});

describe('config loader: defaults and precedence', () => {
  it('with no file anywhere: an empty config, port 4000, embedded database in ./.data', () => {
    const cwd = tempDir('gw-cwd-');
    const c = load(null, {}, [], cwd);
    assert.equal(c.configFile, null);
    assert.equal(c.server.port, 4000);
    assert.equal(c.server.host, '0.0.0.0');
    assert.deepEqual(c.database, { kind: 'embedded', dataDir: join(cwd, '.data') });
    assert.equal(c.models.length, 0);
    assert.equal(c.masterKey, undefined);
    assert.equal(c.jwt.enabled, false);
    assert.equal(c.jwt.adminScope, 'litellm_proxy_admin');
    assert.deepEqual(
      [c.jwt.publicKeyTtlSec, c.jwt.publicKeyStaleTtlSec],
      [600, 3600],
      'JWKS trusted 10 min, then 1 h more while the provider is down',
    );
    assert.equal(c.server.shutdownTimeoutMs, 10_000);
  });

  it('config file: --config, else CONFIG_FILE_PATH, else ./config.yaml', () => {
    const cwd = tempDir('gw-cwd-');
    writeFileSync(
      join(cwd, 'config.yaml'),
      'model_list:\n  - model_name: local\n    litellm_params:\n      model: openai/x\n',
    );
    const fromEnv = writeConfig('model_list:\n  - model_name: from-env\n    litellm_params:\n      model: openai/x\n');
    const fromArg = writeConfig('model_list:\n  - model_name: from-arg\n    litellm_params:\n      model: openai/x\n');
    const names = (argv: string[], env: Env) => loadGatewayConfig({ argv, env, cwd }).models.map((m) => m.modelName);
    assert.deepEqual(names(['--config', fromArg], { CONFIG_FILE_PATH: fromEnv }), ['from-arg']);
    assert.deepEqual(names([`--config=${fromArg}`], { CONFIG_FILE_PATH: fromEnv }), ['from-arg']);
    assert.deepEqual(names([], { CONFIG_FILE_PATH: fromEnv }), ['from-env']);
    assert.deepEqual(names([], {}), ['local']);
    assert.equal(loadGatewayConfig({ argv: [], env: {}, cwd }).configFile, join(cwd, 'config.yaml'));
  });

  it('a relative --config or CONFIG_FILE_PATH is read from the working directory', () => {
    const cwd = tempDir('gw-cwd-');
    mkdirSync(join(cwd, 'conf'));
    writeFileSync(join(cwd, 'conf', 'gw.yaml'), MODEL);
    assert.equal(loadGatewayConfig({ argv: ['--config', 'conf/gw.yaml'], env: {}, cwd }).models.length, 1);
    assert.equal(loadGatewayConfig({ argv: [], env: { CONFIG_FILE_PATH: 'conf/gw.yaml' }, cwd }).models.length, 1);
  });

  it('port: --port, else PORT, else 4000; HOST', () => {
    assert.equal(load(null, { PORT: '5001' }, ['--port', '5002']).server.port, 5002);
    assert.equal(load(null, { PORT: '5001' }, ['--port=5003']).server.port, 5003);
    assert.equal(load(null, { PORT: '5001' }).server.port, 5001);
    assert.equal(load(null, { HOST: '127.0.0.1' }).server.host, '127.0.0.1');
  });

  it('master key: LITELLM_MASTER_KEY (wins, as the environment does elsewhere), else general_settings.master_key', () => {
    const both = load('general_settings:\n  master_key: sk-from-file\n', { LITELLM_MASTER_KEY: 'sk-from-env' });
    assert.equal(both.masterKey, 'sk-from-env');
    assert.equal(both.masterKeySource, 'LITELLM_MASTER_KEY, over general_settings.master_key');
    assert.ok(both.secrets.includes('sk-from-file'), 'the overridden key is still redacted from logs');
    const file = load('general_settings:\n  master_key: sk-from-file\n');
    assert.equal(file.masterKey, 'sk-from-file');
    assert.equal(file.masterKeySource, 'general_settings.master_key');
    const env = load('general_settings: {}\n', { LITELLM_MASTER_KEY: 'sk-from-env' });
    assert.equal(env.masterKey, 'sk-from-env');
    assert.equal(env.masterKeySource, 'LITELLM_MASTER_KEY');
    assert.equal(load(null).masterKeySource, undefined);
    assert.equal(
      load('general_settings:\n  master_key: os.environ/MY_KEY\n', { MY_KEY: 'sk-indirect' }).masterKey,
      'sk-indirect',
    );
  });

  it('JWT: JWT_AUDIENCE / JWT_ISSUER override litellm_jwtauth; JWT_PUBLIC_KEY_URL is a comma list', () => {
    const yaml =
      'general_settings:\n  litellm_jwtauth:\n    audience: file-aud\n    issuer: [file-iss-1, file-iss-2]\n';
    const fromFile = load(yaml);
    assert.deepEqual(fromFile.jwt.audience, ['file-aud']);
    assert.deepEqual(fromFile.jwt.issuer, ['file-iss-1', 'file-iss-2']);
    const fromEnv = load(yaml, {
      JWT_AUDIENCE: 'env-aud',
      JWT_ISSUER: 'https://a, https://b',
      JWT_PUBLIC_KEY_URL: 'https://a/jwks , https://b/.well-known/openid-configuration',
    });
    assert.deepEqual(fromEnv.jwt.audience, ['env-aud']);
    assert.deepEqual(fromEnv.jwt.issuer, ['https://a', 'https://b']);
    assert.deepEqual(fromEnv.jwt.publicKeyUrls, ['https://a/jwks', 'https://b/.well-known/openid-configuration']);
    assert.equal(load(null).jwt.audience, undefined);
  });

  it('spend writes: every second, or every general_settings.proxy_batch_write_at seconds (LiteLLM key)', () => {
    assert.equal(load(MODEL).spend.writeIntervalMs, 1000);
    assert.equal(load(`${MODEL}general_settings:\n  proxy_batch_write_at: 60\n`).spend.writeIntervalMs, 60_000);
    assert.equal(load(`${MODEL}general_settings:\n  proxy_batch_write_at: 0.5\n`).spend.writeIntervalMs, 500);
    for (const bad of ['0', '-5', '"10"', '7200']) {
      fails(
        () => load(`${MODEL}general_settings:\n  proxy_batch_write_at: ${bad}\n`),
        'general_settings.proxy_batch_write_at',
        /.+/,
      );
    }
  });

  it('key cache: every cached key is read again each 30 s, or each general_settings.user_api_key_cache_ttl seconds (LiteLLM key)', () => {
    assert.equal(load(MODEL).keyCache.resyncIntervalMs, 30_000);
    assert.equal(load(`${MODEL}general_settings:\n  user_api_key_cache_ttl: 60\n`).keyCache.resyncIntervalMs, 60_000);
    assert.equal(load(`${MODEL}general_settings:\n  user_api_key_cache_ttl: 1.5\n`).keyCache.resyncIntervalMs, 1500);
    for (const bad of ['0', '-5', '"10"', '100000']) {
      fails(
        () => load(`${MODEL}general_settings:\n  user_api_key_cache_ttl: ${bad}\n`),
        'general_settings.user_api_key_cache_ttl',
        /.+/,
      );
    }
  });

  it('database: DATABASE_URL (env over general_settings.database_url), else embedded in DATA_DIR', () => {
    assert.deepEqual(load(null, { DATABASE_URL: 'postgresql://h/db' }).database, {
      kind: 'postgres',
      url: 'postgresql://h/db',
      source: 'DATABASE_URL',
      poolLimit: 10,
      poolWaitMs: 5_000,
    });
    assert.deepEqual(load('general_settings:\n  database_url: postgresql://file/db\n', {}).database, {
      kind: 'postgres',
      url: 'postgresql://file/db',
      source: 'general_settings.database_url',
      poolLimit: 10,
      poolWaitMs: 5_000,
    });
    assert.deepEqual(
      load('general_settings:\n  database_url: postgresql://file/db\n', { DATABASE_URL: 'postgresql://env/db' })
        .database,
      {
        kind: 'postgres',
        url: 'postgresql://env/db',
        source: 'DATABASE_URL',
        poolLimit: 10,
        poolWaitMs: 5_000,
      },
    );
    const cwd = tempDir('gw-cwd-');
    assert.deepEqual(load(null, { DATA_DIR: 'state' }, [], cwd).database, {
      kind: 'embedded',
      dataDir: join(cwd, 'state'),
    });
  });

  it('os.environ/ may give numbers and booleans too: the text is read as the type the setting wants', () => {
    const yaml =
      'model_list:\n  - model_name: m\n    litellm_params:\n      model: openai/x\n      api_key: os.environ/KEY_DIGITS\n      rpm: os.environ/RPM_V\n      timeout: os.environ/TIMEOUT_V\n' +
      'general_settings:\n  master_key: sk-env-types\n  enable_jwt_auth: os.environ/JWT_ON\n';
    const c = load(yaml, { KEY_DIGITS: '12345', RPM_V: ' 600 ', TIMEOUT_V: '2.5', JWT_ON: 'True' });
    assert.equal(c.models[0].apiKey, '12345', 'a string setting keeps the text');
    assert.equal(c.models[0].rpm, 600);
    assert.equal(c.models[0].timeoutSec, 2.5);
    assert.equal(c.jwt.enabled, true);
    const bad = (env: Env, at: string, type: string) =>
      fails(
        () => load(yaml, { KEY_DIGITS: '1', RPM_V: '1', TIMEOUT_V: '1', JWT_ON: 'false', ...env }),
        at,
        new RegExp(`must be a ${type}`),
      );
    bad({ RPM_V: 'lots' }, 'model_list[0].litellm_params.rpm', 'number');
    bad({ JWT_ON: 'yes please' }, 'general_settings.enable_jwt_auth', 'boolean');
    assert.equal(load(yaml, { KEY_DIGITS: '1', RPM_V: '1', TIMEOUT_V: '1', JWT_ON: 'false' }).jwt.enabled, false);
  });

  it('an empty os.environ value counts as unset', () => {
    fails(
      () => load('general_settings:\n  master_key: os.environ/EMPTY_ONE\n', { EMPTY_ONE: '' }),
      'general_settings.master_key',
      /os\.environ\/EMPTY_ONE is not set/,
    );
  });
});

describe('config loader: unknown keys', () => {
  it('LiteLLM settings the gateway does not implement: one warning naming each, and the rest of the config is used', () => {
    const c = load(
      'litellm_settings:\n  drop_params: true\n  callbacks: os.environ/NOT_SET_ANYWHERE\nenvironment_variables:\n  X: y\n' +
        'general_settings:\n  master_key: sk-kept-1\n  alerting: [slack]\n' +
        'model_list:\n  - model_name: gpt\n    litellm_params:\n      model: openai/gpt-4o\n      custom_llm_provider: openai\n    model_info:\n      supports_vision: true\n',
    );
    const text = c.warnings.join('\n');
    for (const path of [
      'litellm_settings.callbacks',
      'general_settings.alerting',
      'model_list[0].model_info.supports_vision',
    ]) {
      assert.match(
        text,
        new RegExp(`: ${path.replace(/[[\].]/g, '\\$&')}: LiteLLM setting not implemented by the gateway; ignored`),
        path,
      );
    }
    assert.equal(c.warnings.length, 3, 'drop_params and custom_llm_provider act; environment_variables is read');
    assert.equal(c.masterKey, 'sk-kept-1');
    assert.equal(c.models[0].upstreamModel, 'gpt-4o');
    assert.equal(c.router.dropParams, true);
  });

  it("environment_variables: the file's variables are read like the environment's, which wins over them", () => {
    const yaml =
      'environment_variables:\n  MK: sk-from-file-1\n  DATABASE_URL: postgresql://u:file-db-pass@h/db\n  RPM: 7\n' +
      'general_settings:\n  master_key: os.environ/MK\n' +
      'model_list:\n  - model_name: gpt\n    litellm_params:\n      model: openai/gpt-4o\n      rpm: os.environ/RPM\n';
    const c = load(yaml);
    assert.equal(c.masterKey, 'sk-from-file-1');
    assert.deepEqual(c.database, {
      kind: 'postgres',
      url: 'postgresql://u:file-db-pass@h/db',
      source: 'DATABASE_URL',
      poolLimit: 10,
      poolWaitMs: 5_000,
    });
    assert.equal(c.models[0].rpm, 7);
    assert.ok(c.secrets.includes('file-db-pass') && c.secrets.includes('sk-from-file-1'), 'still redacted from logs');
    assert.equal(load(yaml, { MK: 'sk-from-env-2' }).masterKey, 'sk-from-env-2');
    fails(() => load('environment_variables: [A]\n'), 'environment_variables', /mapping/);
    fails(
      () => load('environment_variables:\n  A: { b: 1 }\n'),
      'environment_variables.A',
      /string, a number or a boolean/,
    );
  });

  it('a fallback naming a model group that is not configured is warned about', () => {
    const c = load(`${MODEL}router_settings:\n  fallbacks: [{ gpt: [nope] }]\n`);
    assert.match(c.warnings.join('\n'), /router_settings\.fallbacks: model group "nope" is not in model_list/);
  });
});

describe('config loader: bad configs stop the start with one line', () => {
  it('YAML syntax error: names the line', () => {
    const err = fails(
      () => load('model_list:\n  - model_name: a\n    litellm_params: {model: openai/x\n'),
      'line 4, column 1',
      /invalid YAML/,
    );
    assert.match(err.message, /config\.yaml: line 4, column 1: invalid YAML/);
    fails(
      () => load('general_settings:\n  master_key: a\n  master_key: b\n'),
      'line 3, column 3',
      /invalid YAML: Map keys must be unique/,
    );
  });

  it('unknown key under litellm_jwtauth', () => {
    fails(
      () => load('general_settings:\n  litellm_jwtauth:\n    admin_jwt_scope: x\n    team_id_field: client_id\n'),
      'general_settings.litellm_jwtauth.team_id_field',
      /unknown key/,
    );
  });

  it('os.environ/X where X is unset', () => {
    fails(
      () => load(`${MODEL}      api_key: os.environ/NO_SUCH_VAR_42\n`),
      'model_list[0].litellm_params.api_key',
      /os\.environ\/NO_SUCH_VAR_42 is not set in the environment/,
    );
  });

  it('model_list entry without model_name, without litellm_params, or without litellm_params.model', () => {
    fails(
      () => load('model_list:\n  - litellm_params:\n      model: openai/x\n'),
      'model_list[0].model_name',
      /is required/,
    );
    fails(() => load(`${MODEL}  - model_name: b\n`), 'model_list[1].litellm_params', /is required/);
    fails(
      () => load('model_list:\n  - model_name: a\n    litellm_params:\n      api_base: https://x\n'),
      'model_list[0].litellm_params.model',
      /is required/,
    );
  });

  it('provider rules from the registry: hosted_vllm/ needs api_base, Entra ID needs all three fields', () => {
    fails(
      () => load('model_list:\n  - model_name: a\n    litellm_params:\n      model: hosted_vllm/llama\n'),
      'model_list[0].litellm_params.api_base',
      /required for hosted_vllm/,
    );
    fails(
      () =>
        load(
          'model_list:\n  - model_name: a\n    litellm_params:\n      model: azure/d\n      api_base: https://r.example\n      tenant_id: t\n      client_id: c\n',
        ),
      'model_list[0].litellm_params.client_secret',
      /required with tenant_id, client_id and client_secret/,
    );
  });

  it('a provider prefix with nothing after it: the start goes on, the deployment is never called', () => {
    // LiteLLM's own proxy_server_config.yaml has `model: azure/` (a dall-e-2 deployment).
    const c = load('model_list:\n  - model_name: a\n    litellm_params:\n      model: openai/\n');
    assert.match(c.models[0].unavailable ?? '', /no model name after 'openai\/'/);
    assert.deepEqual(c.warnings, [
      `${c.configFile}: model_list[0] (a): no model name after 'openai/'; calls to it answer 400`,
    ]);
  });

  it('azure deployment without api_base; wrong types', () => {
    fails(
      () => load('model_list:\n  - model_name: a\n    litellm_params:\n      model: azure/dep\n'),
      'model_list[0].litellm_params.api_base',
      /required for azure/,
    );
    fails(() => load(`${MODEL}      rpm: lots\n`), 'model_list[0].litellm_params.rpm', /expected number/);
    fails(
      () => load('general_settings:\n  enable_jwt_auth: "maybe"\n'),
      'general_settings.enable_jwt_auth',
      /expected boolean/,
    );
  });

  it('route lists that are not routes, and intervals under 0.1 s, stop the start with one line', () => {
    fails(
      () => load('general_settings:\n  allowed_routes: [bogus_group]\n'),
      'general_settings.allowed_routes',
      /"bogus_group": not a route group/,
    );
    fails(
      () => load('general_settings:\n  litellm_jwtauth:\n    admin_allowed_routes: ["/key/*", "nope"]\n'),
      'general_settings.litellm_jwtauth.admin_allowed_routes',
      /"nope": not a route group/,
    );
    fails(
      () => load('general_settings:\n  proxy_batch_write_at: 0.0001\n'),
      'general_settings.proxy_batch_write_at',
      /at least 0\.1/,
    );
    fails(
      () => load('general_settings:\n  user_api_key_cache_ttl: 0.0001\n'),
      'general_settings.user_api_key_cache_ttl',
      /at least 0\.1/,
    );
  });

  it('non-numeric --port or PORT', () => {
    const arg = fails(() => load(null, {}, ['--port', 'eighty']), '', /"eighty" is not a valid port/);
    assert.equal(arg.source, '--port');
    const env = fails(() => load(null, { PORT: '80a' }), '', /"80a" is not a valid port/);
    assert.equal(env.source, 'env PORT');
    fails(() => load(null, { PORT: '70000' }), '', /not a valid port/);
    fails(() => load(null, {}, ['--port']), '', /needs a value/);
  });

  it('litellm_jwtauth.issuers: issuer, jwks_url and audience read; a per-issuer claim mapping stops the start', () => {
    const c = load(
      'general_settings:\n  enable_jwt_auth: true\n  litellm_jwtauth:\n    issuers:\n' +
        '      - { issuer: "https://a", jwks_url: "https://a/keys", audience: gw }\n      - { issuer: "https://b" }\n',
    );
    assert.deepEqual(c.jwt.issuers, [
      { issuer: 'https://a', jwksUrl: 'https://a/keys', audience: ['gw'] },
      { issuer: 'https://b', jwksUrl: undefined, audience: undefined },
    ]);
    assert.throws(
      () =>
        load(
          'general_settings:\n  enable_jwt_auth: true\n  litellm_jwtauth:\n    issuers:\n' +
            '      - { issuer: "https://a", user_id_jwt_field: sub }\n',
        ),
      (err: unknown) =>
        err instanceof ConfigError && /issuers/.test(err.message) && /user_id_jwt_field/.test(err.message),
    );
  });

  it('client limits: whole numbers of at least 1, with defaults', () => {
    const d = load(null).server;
    assert.deepEqual(
      [d.headersTimeoutMs, d.requestTimeoutMs, d.maxConnections, d.maxBodiesInFlight],
      [10_000, 60_000, 10_000, 1_000],
    );
    const set = load(null, {
      REQUEST_HEADERS_TIMEOUT_SECONDS: '3',
      REQUEST_BODY_TIMEOUT_SECONDS: '30',
      MAX_CONNECTIONS: '500',
      MAX_REQUEST_BODIES_IN_FLIGHT: '50',
    }).server;
    assert.deepEqual(
      [set.headersTimeoutMs, set.requestTimeoutMs, set.maxConnections, set.maxBodiesInFlight],
      [3_000, 30_000, 500, 50],
    );
    assert.equal(fails(() => load(null, { MAX_CONNECTIONS: '0' }), '', /at least 1/).source, 'env MAX_CONNECTIONS');
    fails(() => load(null, { REQUEST_BODY_TIMEOUT_SECONDS: '2.5' }), '', /not a valid number/);
  });

  it('a config file that does not exist', () => {
    const err = fails(
      () => loadGatewayConfig({ argv: ['--config', '/nonexistent/gw.yaml'], env: {}, cwd: '/' }),
      '',
      /cannot be read \(ENOENT\)/,
    );
    assert.equal(err.source, '/nonexistent/gw.yaml');
  });
});

describe('config loader: general_settings.trust_proxy', () => {
  const withTrust = (value: string) => `${MODEL}general_settings:\n  trust_proxy: ${value}\n`;

  it("takes Fastify's trustProxy forms: off by default, a boolean, addresses and CIDR ranges", () => {
    assert.equal(load(MODEL).server.trustProxy, false);
    assert.equal(load(withTrust('true')).server.trustProxy, true);
    assert.deepEqual(load(withTrust('"10.0.0.1, 10.1.0.0/16"')).server.trustProxy, ['10.0.0.1', '10.1.0.0/16']);
    assert.deepEqual(load(withTrust('[loopback, "fd00::/8"]')).server.trustProxy, ['loopback', 'fd00::/8']);
  });

  it('refuses an entry that is not an address or range, naming it, and a hop count (Fastify would trust no one)', () => {
    fails(() => load(withTrust('2')), 'general_settings.trust_proxy', /./);
    fails(() => load(withTrust('"10.0.0.1, my-proxy"')), 'general_settings.trust_proxy', /"my-proxy" is not an IP/);
    fails(() => load(withTrust('["10.0.0.0/40"]')), 'general_settings.trust_proxy', /prefix length outside 0..32/);
  });
});
