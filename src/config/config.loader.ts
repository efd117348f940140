import { existsSync, readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { LineCounter, parseDocument, type Tags } from 'yaml';
import type { z } from 'zod';
import { parseCommandLine, type CommandLine } from './command-line';
import { ConfigError, type ConfigProblem } from './config.error';
import { checkDatabaseUrl } from './database-url';
import { logFormatOf, logLevelOf } from './log-settings';
import { fileSchema, type FileConfig } from './config.schema';
import type { GatewayConfig } from './gateway-config';
import { deepFreeze, formatPath, parseEnvNumber, periodMs, splitList } from './config.util';
import { toDeployments } from './deployments';
import { checkKnownKeys } from './known-keys';
import { redisUrlOf } from './redis-url';
import { toRouterConfig } from './router-config';
import { resolveUiOidc } from './ui-oidc';

export type Env = Readonly<Record<string, string | undefined>>;

export interface LoadOptions {
  argv?: readonly string[];
  env?: Env;
  cwd?: string;
}

const ENV_REF = 'os.environ/';
/** Microsoft Entra ID's global authority (sovereign clouds set AZURE_AUTHORITY_HOST). */
const DEFAULT_AZURE_AUTHORITY_HOST = 'https://login.microsoftonline.com';
const DEFAULT_BODY_LIMIT_MB = 10;
/** Seconds between spend writes unless `proxy_batch_write_at` says otherwise: budgets shared by instances stay close. */
const DEFAULT_SPEND_WRITE_SEC = 1;
/**
 * Seconds between reads of the key change log unless `user_api_key_cache_ttl` says otherwise: a change whose
 * broadcast did not reach this instance is picked up within this time.
 */
const DEFAULT_KEY_CACHE_TTL_SEC = 30;
/** A held slot is renewed every third of this; a dead instance's slots are free this long after it died. */
const DEFAULT_LEASE_SEC = 30;
/** Virtual keys held in memory unless `key_cache_max_keys` says otherwise (about 0.5 KB each: see performance.md). */
const DEFAULT_KEY_CACHE_MAX_KEYS = 1_000_000;
/** Failed credentials per client address and minute before it is refused for the rest of the minute. */
const DEFAULT_AUTH_FAILURES_PER_MINUTE = 100;
/** How often old spend log rows are deleted unless `maximum_spend_logs_retention_interval` says otherwise. */
const DEFAULT_RETENTION_INTERVAL = '1d';

interface FileRead {
  readonly file: FileConfig;
  readonly env: Env;
  /** Per model_list index: the credential forms the deployment names. */
  readonly credentials: ReadonlyMap<number, readonly string[]>;
}

/**
 * Reads, resolves and validates the whole configuration once. Throws a ConfigError listing every problem of the
 * file, one line each.
 */
export function loadGatewayConfig(opts: LoadOptions = {}): GatewayConfig {
  const env = opts.env ?? {};
  const cwd = opts.cwd ?? '.';
  const args = parseCommandLine(opts.argv ?? [], env);
  const configFile = pickConfigFile(args.config, env, cwd);
  const warnings: string[] = [...args.warnings];
  const read: FileRead = configFile
    ? readConfigFile(configFile, env, warnings)
    : { file: fileSchema.parse({}), env, credentials: new Map() };
  return deepFreeze(toGatewayConfig(read, configFile, args, cwd, warnings));
}

/**
 * LiteLLM's top-level `environment_variables:`: variables the config file provides (e.g. DATABASE_URL, or the
 * NAME of an `os.environ/NAME`). The process environment wins over them; they are read like it, never written to it.
 */
function withFileVariables(raw: Record<string, unknown>, env: Env, file: string, problems: ConfigProblem[]): Env {
  const vars = raw.environment_variables;
  delete raw.environment_variables;
  if (vars === undefined || vars === null) return env;
  if (typeof vars !== 'object' || Array.isArray(vars)) {
    problems.push({ source: file, keyPath: 'environment_variables', problem: 'must be a mapping of NAME: value' });
    return env;
  }
  const merged: Record<string, string | undefined> = {};
  for (const [name, value] of Object.entries(vars)) {
    if (!['string', 'number', 'boolean'].includes(typeof value)) {
      const keyPath = `environment_variables.${name}`;
      problems.push({ source: file, keyPath, problem: 'must be a string, a number or a boolean' });
      continue;
    }
    merged[name] = String(value);
  }
  for (const [name, value] of Object.entries(env)) if (value !== undefined && value !== '') merged[name] = value;
  return merged;
}

function pickConfigFile(fromArgs: string | undefined, env: Env, cwd: string): string | null {
  if (fromArgs) return resolve(cwd, fromArgs);
  if (env.CONFIG_FILE_PATH) return resolve(cwd, env.CONFIG_FILE_PATH);
  const local = resolve(cwd, 'config.yaml');
  return existsSync(local) ? local : null;
}

function readConfigFile(path: string, processEnv: Env, warnings: string[]): FileRead {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (err) {
    throw new ConfigError(path, '', `cannot be read (${(err as NodeJS.ErrnoException).code ?? 'error'})`);
  }
  const lines = new LineCounter();
  // YAML 1.1 scalars, as LiteLLM (PyYAML) reads them: 20_000 is a number, yes/on/True are booleans.
  const doc = parseDocument(text, {
    prettyErrors: false,
    uniqueKeys: true,
    lineCounter: lines,
    version: '1.1',
    customTags: pyYamlBooleans,
  });
  ConfigError.throwIfAny(
    doc.errors.map((e) => {
      const pos = lines.linePos(e.pos[0]);
      return {
        source: path,
        keyPath: `line ${pos.line}, column ${pos.col}`,
        problem: `invalid YAML: ${e.message.split('\n')[0]}`,
      };
    }),
  );
  const raw: unknown = doc.toJS({ maxAliasCount: 1000 }) ?? {};
  if (typeof raw !== 'object' || Array.isArray(raw)) throw new ConfigError(path, '', 'the top level must be a mapping');
  const problems: ConfigProblem[] = [];
  const env = withFileVariables(raw as Record<string, unknown>, processEnv, path, problems);
  // Keys first (warnings, removals), so that an os.environ/ reference under an ignored key cannot stop the start.
  const keys = checkKnownKeys(raw as Record<string, unknown>, path, warnings, problems);
  const fromEnv = new Set<string>();
  const resolved = resolveEnvRefs(raw, env, path, [], fromEnv, problems, keys.covered);
  const file = validate(resolved, path, fromEnv, problems, keys.covered);
  ConfigError.throwIfAny(problems);
  return { file: file!, env, credentials: keys.credentials };
}

const PY_TRUE = /^(?:[Yy]es|YES|[Tt]rue|TRUE|[Oo]n|ON)$/;
const PY_FALSE = /^(?:[Nn]o|NO|[Ff]alse|FALSE|[Oo]ff|OFF)$/;

/** YAML 1.1 booleans as PyYAML has them: without the single letters y/n (`id: y` stays a string there). */
function pyYamlBooleans(tags: Tags): Tags {
  return tags.map((t) => {
    if (typeof t !== 'object' || t.tag !== 'tag:yaml.org,2002:bool' || !('test' in t) || !t.test) return t;
    return { ...t, test: t.test.test('true') ? PY_TRUE : PY_FALSE };
  });
}

/** Replaces `os.environ/NAME` values by the variable's text; `fromEnv` collects their paths (see validate). */
function resolveEnvRefs(
  value: unknown,
  env: Env,
  file: string,
  at: (string | number)[],
  fromEnv: Set<string>,
  problems: ConfigProblem[],
  covered: Set<string>,
): unknown {
  if (typeof value === 'string' && value.startsWith(ENV_REF)) {
    const name = value.slice(ENV_REF.length);
    const found = env[name];
    const path = formatPath(at);
    if (found === undefined || found === '') {
      problems.push({ source: file, keyPath: path, problem: `${value} is not set in the environment` });
      covered.add(path);
      return undefined;
    }
    fromEnv.add(path);
    return found;
  }
  if (Array.isArray(value))
    return value.map((v, i) => resolveEnvRefs(v, env, file, [...at, i], fromEnv, problems, covered));
  if (value && typeof value === 'object') {
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(value))
      out[k] = resolveEnvRefs(v, env, file, [...at, k], fromEnv, problems, covered);
    return out;
  }
  return value;
}

const NUMBER_TEXT = /^[+-]?(\d+(\.\d*)?|\.\d+)(e[+-]?\d+)?$/i;

/** An environment variable's text where the schema wants a number or a boolean (`600`, `0.5`, `true`, `False`). */
function fromEnvText(text: string, expected: string): number | boolean | undefined {
  const t = text.trim();
  if (expected === 'number') return NUMBER_TEXT.test(t) && Number.isFinite(Number(t)) ? Number(t) : undefined;
  if (expected === 'boolean') return /^true$/i.test(t) ? true : /^false$/i.test(t) ? false : undefined;
  return undefined;
}

/**
 * Validates the resolved config, every problem collected (those at `covered` paths were reported already). An
 * environment variable is text: where the schema wants a number or a boolean at a value that came from
 * `os.environ/NAME`, the text is read as one (and refused, naming the variable's place, when it is not one), so any
 * value may come from the environment.
 */
function validate(
  resolved: unknown,
  file: string,
  fromEnv: ReadonlySet<string>,
  problems: ConfigProblem[],
  covered: ReadonlySet<string>,
): FileConfig | undefined {
  for (;;) {
    const result = fileSchema.safeParse(resolved, {
      error: (iss) => (iss.code === 'invalid_type' && iss.input === undefined ? 'is required' : undefined),
    });
    if (result.success) return result.data;
    let converted = 0;
    const left: z.core.$ZodIssue[] = [];
    for (const issue of result.error.issues) {
      const text =
        issue.code === 'invalid_type' && fromEnv.has(formatPath(issue.path)) ? getAt(resolved, issue.path) : 0;
      if (issue.code !== 'invalid_type' || typeof text !== 'string') {
        left.push(issue);
        continue;
      }
      const value = fromEnvText(text, issue.expected);
      if (value === undefined) {
        left.push({
          ...issue,
          message: `must be a ${issue.expected}; the environment variable it names holds something else`,
        });
        continue;
      }
      setAt(resolved, issue.path, value);
      converted++;
    }
    if (converted > 0) continue;
    for (const issue of left) {
      const path = formatPath(issue.path);
      if ([...covered].some((c) => path === c || path.startsWith(`${c}.`) || path.startsWith(`${c}[`))) continue;
      problems.push({ source: file, keyPath: path, problem: issue.message });
    }
    return undefined;
  }
}

function setAt(root: unknown, path: readonly PropertyKey[], value: unknown): void {
  (getAt(root, path.slice(0, -1)) as Record<PropertyKey, unknown>)[path[path.length - 1]] = value;
}

function getAt(root: unknown, path: readonly PropertyKey[]): unknown {
  return path.reduce<unknown>((node, key) => (node as Record<PropertyKey, unknown>)[key], root);
}

function toGatewayConfig(
  read: FileRead,
  configFile: string | null,
  args: CommandLine,
  cwd: string,
  warnings: string[],
): GatewayConfig {
  const { file, env } = read;
  const source = configFile ?? '(none)';
  const gs = file.general_settings;
  const ja = gs.litellm_jwtauth;
  const ls = file.litellm_settings;
  const port =
    (args.port !== undefined
      ? parseEnvNumber(args.port, '--port', 'port')
      : parseEnvNumber(env.PORT, 'env PORT', 'port')) ?? 4000;
  const databaseUrl = env.DATABASE_URL || gs.database_url;
  const databaseSource = env.DATABASE_URL ? 'DATABASE_URL' : 'general_settings.database_url';
  if (databaseUrl) checkDatabaseUrl(databaseUrl, databaseSource);
  // The environment wins, as it does for DATABASE_URL and the JWT settings: a deployment sets the key without
  // editing the file it mounts (the start-up summary says which one is in force).
  const masterKey = env.LITELLM_MASTER_KEY || gs.master_key;
  const masterKeySource = env.LITELLM_MASTER_KEY
    ? `LITELLM_MASTER_KEY${gs.master_key ? ', over general_settings.master_key' : ''}`
    : gs.master_key
      ? 'general_settings.master_key'
      : undefined;
  const models = toDeployments(file.model_list, read.credentials, source, warnings);
  const everyIssuerHasAudience =
    (ja.issuers?.length ?? 0) > 0 &&
    ja.issuers!.every((i) => i.audience !== undefined) &&
    !env.JWT_PUBLIC_KEY_URL &&
    ja.public_key_url === undefined;
  if (gs.enable_jwt_auth && !env.JWT_AUDIENCE && ja.audience === undefined && !everyIssuerHasAudience)
    warnings.push(
      `${source}: general_settings.litellm_jwtauth.audience: not set (nor JWT_AUDIENCE): a token the same provider issued for any other application is accepted`,
    );
  const router = toRouterConfig(file, models, source, warnings);
  const redis = redisUrlOf(file, env);
  const secrets = [
    masterKey,
    gs.master_key,
    ...models.flatMap((m) => [m.apiKey, m.azureAdToken, m.clientSecret]),
    passwordOf(databaseUrl),
    passwordOf(redis),
  ].filter((s): s is string => typeof s === 'string' && s.length >= 4);
  const bodyLimitMb = gs.max_request_size_mb ?? DEFAULT_BODY_LIMIT_MB;
  const publicKeyUrls = env.JWT_PUBLIC_KEY_URL ? splitList(env.JWT_PUBLIC_KEY_URL) : (toList(ja.public_key_url) ?? []);
  const issuer = env.JWT_ISSUER ? splitList(env.JWT_ISSUER) : toList(ja.issuer);
  const problems: ConfigProblem[] = [];
  const jwtSources = { enabled: gs.enable_jwt_auth, publicKeyUrls, issuer, teamIdField: ja.team_id_jwt_field };
  const uiOidc = resolveUiOidc(gs.ui_oidc, jwtSources, source, problems, warnings);
  ConfigError.throwIfAny(problems);
  return {
    configFile,
    server: {
      host: args.host || env.HOST || '0.0.0.0',
      port,
      bodyLimitBytes: Math.floor(bodyLimitMb * 1024 * 1024),
      shutdownTimeoutMs:
        (parseEnvNumber(env.SHUTDOWN_TIMEOUT_SECONDS, 'env SHUTDOWN_TIMEOUT_SECONDS', 'number') ?? 10) * 1000,
      ...clientLimits(env),
      // set_verbose is LiteLLM's debug switch; --debug, LOG_LEVEL and LITELLM_LOG say more and win.
      logLevel: logLevelOf(args.logLevel, env, ls.set_verbose ? 'debug' : 'info'),
      logFormat: logFormatOf(env, ls.json_logs),
      jsonLogs: ls.json_logs,
    },
    database: databaseUrl
      ? { kind: 'postgres', url: databaseUrl, source: databaseSource }
      : { kind: 'embedded', dataDir: resolve(cwd, env.DATA_DIR || '.data') },
    redisUrl: redis,
    masterKey,
    masterKeySource,
    jwt: {
      enabled: gs.enable_jwt_auth,
      publicKeyUrls,
      issuers: (ja.issuers ?? []).map((i) => ({ issuer: i.issuer, jwksUrl: i.jwks_url, audience: toList(i.audience) })),
      audience: env.JWT_AUDIENCE ? splitList(env.JWT_AUDIENCE) : toList(ja.audience),
      issuer,
      adminScope: ja.admin_jwt_scope,
      teamIdField: ja.team_id_jwt_field,
      userIdField: ja.user_id_jwt_field,
      adminAllowedRoutes: ja.admin_allowed_routes,
      publicKeyTtlSec: ja.public_key_ttl,
      publicKeyStaleTtlSec: ja.public_key_stale_ttl,
      leewaySec: ja.leeway,
      teamIdsField: ja.team_ids_jwt_field,
      teamIdDefault: ja.team_id_default,
      teamIdUpsert: ja.team_id_upsert,
      teamAllowedRoutes: ja.team_allowed_routes,
      userIdUpsert: ja.user_id_upsert,
      userEmailField: ja.user_email_jwt_field,
      userAllowedEmailDomain: ja.user_allowed_email_domain,
      userRolesField: ja.user_roles_jwt_field,
      userAllowedRoles: ja.user_allowed_roles,
      rolesField: ja.roles_jwt_field,
      roleMappings: (ja.role_mappings ?? []).map((m) => ({ role: m.role, internalRole: m.internal_role })),
      scopeMappings: (ja.scope_mappings ?? []).map((m) => ({
        scope: m.scope,
        models: m.models ?? [],
        routes: m.routes ?? [],
      })),
      enforceScopeBasedAccess: ja.enforce_scope_based_access,
      enforceTeamBasedModelAccess: ja.enforce_team_based_model_access,
      endUserIdField: ja.end_user_id_jwt_field,
    },
    allowedRoutes: gs.allowed_routes ?? ja.team_allowed_routes,
    models,
    azureAuthorityHost: env.AZURE_AUTHORITY_HOST || DEFAULT_AZURE_AUTHORITY_HOST,
    router,
    spend: {
      writeIntervalMs: Math.round((gs.proxy_batch_write_at ?? DEFAULT_SPEND_WRITE_SEC) * 1000),
      logs: !gs.disable_spend_logs,
      retentionMs: gs.maximum_spend_logs_retention_period ? periodMs(gs.maximum_spend_logs_retention_period) : null,
      retentionIntervalMs: periodMs(gs.maximum_spend_logs_retention_interval ?? DEFAULT_RETENTION_INTERVAL),
    },
    metrics: { requireAuth: file.litellm_settings.require_auth_for_metrics_endpoint },
    ui: { oidc: uiOidc },
    limits: {
      budgetReservation: !gs.disable_budget_reservation,
      leaseMs: Math.round(
        (parseEnvNumber(env.LIMIT_LEASE_SECONDS, 'env LIMIT_LEASE_SECONDS', 'number') ?? DEFAULT_LEASE_SEC) * 1000,
      ),
    },
    keyCache: {
      resyncIntervalMs: Math.round((gs.user_api_key_cache_ttl ?? DEFAULT_KEY_CACHE_TTL_SEC) * 1000),
      maxKeys: gs.key_cache_max_keys ?? DEFAULT_KEY_CACHE_MAX_KEYS,
    },
    authFailuresPerMinute: gs.max_auth_failures_per_minute ?? DEFAULT_AUTH_FAILURES_PER_MINUTE,
    secrets,
    warnings,
  };
}

function toList(v: string | string[] | undefined): string[] | undefined {
  if (v === undefined) return undefined;
  return Array.isArray(v) ? v : [v];
}

function passwordOf(url: string | undefined): string | undefined {
  if (!url) return undefined;
  try {
    return decodeURIComponent(new URL(url).password) || undefined;
  } catch {
    return undefined;
  }
}

/** Bounds on what slow or numerous clients may hold: each a whole positive number from the environment. */
function clientLimits(env: Env) {
  const positive = (name: string, def: number) => {
    const n = parseEnvNumber(env[name], `env ${name}`, 'number') ?? def;
    if (n < 1) throw new ConfigError(`env ${name}`, '', 'must be at least 1');
    return n;
  };
  return {
    headersTimeoutMs: positive('REQUEST_HEADERS_TIMEOUT_SECONDS', 10) * 1000,
    requestTimeoutMs: positive('REQUEST_BODY_TIMEOUT_SECONDS', 60) * 1000,
    maxConnections: positive('MAX_CONNECTIONS', 10_000),
    maxBodiesInFlight: positive('MAX_REQUEST_BODIES_IN_FLIGHT', 1_000),
  };
}
