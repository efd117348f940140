import { existsSync, readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { LineCounter, parseDocument } from 'yaml';
import type { z } from 'zod';
import { ConfigError } from './config.error';
import { fileSchema, type FileConfig } from './config.schema';
import type { DeploymentConfig, GatewayConfig } from './gateway-config';
import { deepFreeze, parseEnvNumber, splitList } from './config.util';

export type Env = Readonly<Record<string, string | undefined>>;

export interface LoadOptions {
  argv?: readonly string[];
  env?: Env;
  cwd?: string;
}

const ENV_REF = 'os.environ/';
const DEFAULT_BODY_LIMIT_MB = 10;
/** Seconds between spend writes unless `proxy_batch_write_at` says otherwise: budgets shared by instances stay close. */
const DEFAULT_SPEND_WRITE_SEC = 1;
/**
 * Seconds between re-reads of every cached virtual key unless `user_api_key_cache_ttl` says otherwise: a change
 * whose broadcast did not reach this instance is picked up within this time.
 */
const DEFAULT_KEY_CACHE_TTL_SEC = 30;

/** Reads, resolves and validates the whole configuration once. Throws ConfigError with a one-line message. */
export function loadGatewayConfig(opts: LoadOptions = {}): GatewayConfig {
  const env = opts.env ?? {};
  const cwd = opts.cwd ?? '.';
  const args = parseArgs(opts.argv ?? []);
  const configFile = pickConfigFile(args.config, env, cwd);
  const warnings: string[] = [];
  const read = configFile ? readConfigFile(configFile, env, warnings) : { file: fileSchema.parse({}), env };
  return deepFreeze(toGatewayConfig(read.file, configFile, args.port, read.env, cwd, warnings));
}

/**
 * LiteLLM's top-level `environment_variables:`: variables the config file provides (e.g. DATABASE_URL, or the
 * NAME of an `os.environ/NAME`). The process environment wins over them; they are read like it, never written to it.
 */
function withFileVariables(raw: Record<string, unknown>, env: Env, file: string): Env {
  const vars = raw.environment_variables;
  delete raw.environment_variables;
  if (vars === undefined || vars === null) return env;
  if (typeof vars !== 'object' || Array.isArray(vars))
    throw new ConfigError(file, 'environment_variables', 'must be a mapping of NAME: value');
  const merged: Record<string, string | undefined> = {};
  for (const [name, value] of Object.entries(vars)) {
    if (!['string', 'number', 'boolean'].includes(typeof value))
      throw new ConfigError(file, `environment_variables.${name}`, 'must be a string, a number or a boolean');
    merged[name] = String(value);
  }
  for (const [name, value] of Object.entries(env)) if (value !== undefined && value !== '') merged[name] = value;
  return merged;
}

function parseArgs(argv: readonly string[]): { config?: string; port?: string } {
  const out: { config?: string; port?: string } = {};
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i];
    for (const name of ['config', 'port'] as const) {
      if (arg === `--${name}`) {
        const value = argv[++i];
        if (value === undefined || value.startsWith('--')) throw new ConfigError(`--${name}`, '', 'needs a value');
        out[name] = value;
      } else if (arg.startsWith(`--${name}=`)) {
        out[name] = arg.slice(name.length + 3);
      }
    }
  }
  return out;
}

function pickConfigFile(fromArgs: string | undefined, env: Env, cwd: string): string | null {
  if (fromArgs) return resolve(cwd, fromArgs);
  if (env.CONFIG_FILE_PATH) return resolve(cwd, env.CONFIG_FILE_PATH);
  const local = resolve(cwd, 'config.yaml');
  return existsSync(local) ? local : null;
}

function readConfigFile(path: string, processEnv: Env, warnings: string[]): { file: FileConfig; env: Env } {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (err) {
    throw new ConfigError(path, '', `cannot be read (${(err as NodeJS.ErrnoException).code ?? 'error'})`);
  }
  const lines = new LineCounter();
  const doc = parseDocument(text, { prettyErrors: false, uniqueKeys: true, lineCounter: lines });
  if (doc.errors.length > 0) {
    const e = doc.errors[0];
    const pos = lines.linePos(e.pos[0]);
    throw new ConfigError(path, `line ${pos.line}, column ${pos.col}`, `invalid YAML: ${e.message.split('\n')[0]}`);
  }
  const raw: unknown = doc.toJS() ?? {};
  if (typeof raw !== 'object' || Array.isArray(raw)) throw new ConfigError(path, '', 'the top level must be a mapping');
  const env = withFileVariables(raw as Record<string, unknown>, processEnv, path);
  // Unknown keys go first (with a warning), so that an os.environ/ reference under an ignored key cannot stop the start.
  dropUnknownKeys(raw as Record<string, unknown>, path, warnings);
  const fromEnv = new Set<string>();
  const resolved = resolveEnvRefs(raw, env, path, [], fromEnv);
  return { file: validate(resolved, path, fromEnv), env };
}

/** Replaces `os.environ/NAME` values by the variable's text; `fromEnv` collects their paths (see validate). */
function resolveEnvRefs(
  value: unknown,
  env: Env,
  file: string,
  at: (string | number)[],
  fromEnv: Set<string>,
): unknown {
  if (typeof value === 'string' && value.startsWith(ENV_REF)) {
    const name = value.slice(ENV_REF.length);
    const found = env[name];
    if (found === undefined || found === '')
      throw new ConfigError(file, formatPath(at), `${value} is not set in the environment`);
    fromEnv.add(formatPath(at));
    return found;
  }
  if (Array.isArray(value)) return value.map((v, i) => resolveEnvRefs(v, env, file, [...at, i], fromEnv));
  if (value && typeof value === 'object') {
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(value)) out[k] = resolveEnvRefs(v, env, file, [...at, k], fromEnv);
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
 * Removes the keys the schema does not know, warning about each by path; under `litellm_jwtauth` an unknown key is
 * fatal instead (a typo there would silently weaken token checks).
 */
function dropUnknownKeys(raw: Record<string, unknown>, file: string, warnings: string[]): void {
  for (let pass = 0; pass < 20; pass++) {
    const result = fileSchema.safeParse(raw);
    const unknown = result.success ? [] : result.error.issues.filter((i) => i.code === 'unrecognized_keys');
    if (unknown.length === 0) return;
    for (const issue of unknown) {
      const keys = issue.keys;
      if (issue.path.includes('litellm_jwtauth'))
        throw new ConfigError(file, formatPath([...issue.path, keys[0]]), 'unknown key');
      const parent = getAt(raw, issue.path) as Record<string, unknown>;
      for (const key of keys) {
        warnings.push(`${file}: ${formatPath([...issue.path, key])}: unknown key, ignored`);
        delete parent[key];
      }
    }
  }
}

/** Strict parse of the resolved file; the first problem stops the start. */
/**
 * Validates the resolved config. An environment variable is text: where the schema wants a number or a boolean at a
 * value that came from `os.environ/NAME`, the text is read as one (and refused, naming the variable's place, when
 * it is not one), so any value may come from the environment.
 */
function validate(resolved: unknown, file: string, fromEnv: ReadonlySet<string> = new Set()): FileConfig {
  for (;;) {
    const result = fileSchema.safeParse(resolved, {
      error: (iss) => (iss.code === 'invalid_type' && iss.input === undefined ? 'is required' : undefined),
    });
    if (result.success) return result.data;
    let converted = 0;
    for (const issue of result.error.issues) {
      if (issue.code !== 'invalid_type' || !fromEnv.has(formatPath(issue.path))) continue;
      const text = getAt(resolved, issue.path);
      if (typeof text !== 'string') continue;
      const value = fromEnvText(text, issue.expected);
      if (value === undefined)
        throw new ConfigError(
          file,
          formatPath(issue.path),
          `must be a ${issue.expected}; the environment variable it names holds something else`,
        );
      setAt(resolved, issue.path, value);
      converted++;
    }
    if (converted === 0) throw issueToError(result.error.issues[0], file);
  }
}

function setAt(root: unknown, path: readonly PropertyKey[], value: unknown): void {
  (getAt(root, path.slice(0, -1)) as Record<PropertyKey, unknown>)[path[path.length - 1]] = value;
}

function issueToError(issue: z.core.$ZodIssue, file: string): ConfigError {
  if (issue.code === 'unrecognized_keys') {
    const keys = issue.keys;
    return new ConfigError(file, formatPath([...issue.path, keys[0]]), 'unknown key');
  }
  return new ConfigError(file, formatPath(issue.path), issue.message);
}

function getAt(root: unknown, path: readonly PropertyKey[]): unknown {
  return path.reduce<unknown>((node, key) => (node as Record<PropertyKey, unknown>)[key], root);
}

export function formatPath(path: readonly PropertyKey[]): string {
  return path.reduce<string>(
    (acc, key) => (typeof key === 'number' ? `${acc}[${key}]` : acc ? `${acc}.${String(key)}` : String(key)),
    '',
  );
}

function toGatewayConfig(
  file: FileConfig,
  configFile: string | null,
  portArg: string | undefined,
  env: Env,
  cwd: string,
  warnings: string[],
): GatewayConfig {
  const gs = file.general_settings;
  const ja = gs.litellm_jwtauth;
  const port =
    (portArg !== undefined
      ? parseEnvNumber(portArg, '--port', 'port')
      : parseEnvNumber(env.PORT, 'env PORT', 'port')) ?? 4000;
  const databaseUrl = env.DATABASE_URL || gs.database_url;
  const masterKey = gs.master_key ?? (env.LITELLM_MASTER_KEY || undefined);
  const models = file.model_list.map((d, i): DeploymentConfig => {
    const p = d.litellm_params;
    const slash = p.model.indexOf('/');
    return {
      id: d.model_info?.id ?? `${d.model_name}#${i}`,
      modelName: d.model_name,
      provider: p.model.slice(0, slash) as DeploymentConfig['provider'],
      upstreamModel: p.model.slice(slash + 1),
      apiBase: p.api_base?.replace(/\/+$/, ''),
      apiKey: p.api_key,
      apiVersion: p.api_version,
      organization: p.organization,
      rpm: p.rpm,
      tpm: p.tpm,
      weight: p.weight,
      timeoutSec: p.timeout,
      streamTimeoutSec: p.stream_timeout,
      inputCostPerToken: d.model_info?.input_cost_per_token ?? 0,
      outputCostPerToken: d.model_info?.output_cost_per_token ?? 0,
    };
  });
  models.forEach((m, i) => {
    if (m.provider === 'azure' && !m.apiBase)
      throw new ConfigError(
        configFile ?? '(none)',
        `model_list[${i}].litellm_params.api_base`,
        'is required for azure deployments',
      );
  });
  const groups = new Set(models.map((m) => m.modelName));
  const fallbacks: Record<string, string[]> = {};
  for (const entry of file.router_settings.fallbacks) {
    for (const [from, to] of Object.entries(entry)) {
      for (const g of [from, ...to])
        if (!groups.has(g))
          warnings.push(`${configFile}: router_settings.fallbacks: model group "${g}" is not in model_list`);
      fallbacks[from] = [...(fallbacks[from] ?? []), ...to];
    }
  }
  const secrets = [
    masterKey,
    ...models.map((m) => m.apiKey),
    passwordOf(databaseUrl),
    passwordOf(env.REDIS_URL),
  ].filter((s): s is string => typeof s === 'string' && s.length >= 4);
  const bodyLimitMb = gs.max_request_size_mb ?? DEFAULT_BODY_LIMIT_MB;
  return {
    configFile,
    server: {
      host: env.HOST || '0.0.0.0',
      port,
      bodyLimitBytes: Math.floor(bodyLimitMb * 1024 * 1024),
      shutdownTimeoutMs:
        (parseEnvNumber(env.SHUTDOWN_TIMEOUT_SECONDS, 'env SHUTDOWN_TIMEOUT_SECONDS', 'number') ?? 10) * 1000,
      logLevel: env.LOG_LEVEL || 'info',
    },
    database: databaseUrl
      ? { kind: 'postgres', url: databaseUrl }
      : { kind: 'embedded', dataDir: resolve(cwd, env.DATA_DIR || '.data') },
    redisUrl: env.REDIS_URL || undefined,
    masterKey,
    jwt: {
      enabled: gs.enable_jwt_auth,
      publicKeyUrls: splitList(env.JWT_PUBLIC_KEY_URL),
      audience: env.JWT_AUDIENCE ? splitList(env.JWT_AUDIENCE) : toList(ja.audience),
      issuer: env.JWT_ISSUER ? splitList(env.JWT_ISSUER) : toList(ja.issuer),
      adminScope: ja.admin_jwt_scope,
      teamIdField: ja.team_id_jwt_field,
      userIdField: ja.user_id_jwt_field,
      adminAllowedRoutes: ja.admin_allowed_routes,
      publicKeyTtlSec: ja.public_key_ttl,
      publicKeyStaleTtlSec: ja.public_key_stale_ttl,
      leewaySec: ja.leeway,
    },
    allowedRoutes: gs.allowed_routes,
    models,
    router: {
      routingStrategy: file.router_settings.routing_strategy,
      numRetries: file.router_settings.num_retries,
      allowedFails: file.router_settings.allowed_fails,
      cooldownTimeSec: file.router_settings.cooldown_time,
      timeoutSec: file.router_settings.timeout,
      fallbacks,
    },
    spend: { writeIntervalMs: Math.round((gs.proxy_batch_write_at ?? DEFAULT_SPEND_WRITE_SEC) * 1000) },
    keyCache: { resyncIntervalMs: Math.round((gs.user_api_key_cache_ttl ?? DEFAULT_KEY_CACHE_TTL_SEC) * 1000) },
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
