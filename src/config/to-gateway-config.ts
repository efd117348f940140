import { resolve } from 'node:path';
import type { CommandLine } from './command-line';
import type { FileRead } from './config-file';
import { ConfigError, type ConfigProblem } from './config.error';
import { durationSpan, fixedDurationMs } from '../common/time/duration';
import { parseEnvNumber } from './config.util';
import { checkDatabaseUrl, POOL_LIMIT, POOL_WAIT_SEC, wholeSetting } from './database-url';
import { toDeployments } from './deployments';
import type { GatewayConfig } from './gateway-config';
import { toJwtConfig, warnIfNoAudience } from './jwt-config';
import { redisUrlOf } from './redis-url';
import { toRouterConfig } from './router-config';
import { portOf, toServerConfig } from './server-config';
import { resolveUiOidc } from './ui-oidc';

/** Microsoft Entra ID's global authority (sovereign clouds set AZURE_AUTHORITY_HOST). */
const DEFAULT_AZURE_AUTHORITY_HOST = 'https://login.microsoftonline.com';
/** Seconds between spend writes unless `proxy_batch_write_at` says otherwise: budgets shared by instances stay close. */
const DEFAULT_SPEND_WRITE_SEC = 1;
/**
 * Seconds between reads of the change logs (keys; teams, users and end users) unless `user_api_key_cache_ttl` says
 * otherwise: a change whose broadcast did not reach this instance is picked up within this time.
 */
const DEFAULT_KEY_CACHE_TTL_SEC = 30;
/** A held slot is renewed every third of this; a dead instance's slots are free this long after it died. */
const DEFAULT_LEASE_SEC = 30;
/** Virtual keys held in memory unless `key_cache_max_keys` says otherwise (memory per key: see performance.md). */
const DEFAULT_KEY_CACHE_MAX_KEYS = 1_000_000;
/** Keys held parsed (a record each) unless `key_cache_max_parsed_keys` says otherwise; the rest stay as read. */
const DEFAULT_KEY_CACHE_MAX_PARSED_KEYS = 100_000;
/** Failed credentials per client address and minute before it is refused for the rest of the minute. */
const DEFAULT_AUTH_FAILURES_PER_MINUTE = 100;
/** How often old spend log rows are deleted unless `maximum_spend_logs_retention_interval` says otherwise. */
const DEFAULT_RETENTION_INTERVAL = '1d';

/** The validated file, the environment and the command line, as the typed config the gateway runs on. */
export function toGatewayConfig(
  read: FileRead,
  configFile: string | null,
  args: CommandLine,
  cwd: string,
  warnings: string[],
): GatewayConfig {
  const { file, env } = read;
  const source = configFile ?? '(none)';
  const gs = file.general_settings;
  const port = portOf(args, env);
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
  warnIfNoAudience(gs, env, source, warnings);
  const router = toRouterConfig(file, models, source, warnings);
  const redis = redisUrlOf(file, env);
  const secrets = [
    masterKey,
    gs.master_key,
    ...models.flatMap((m) => [m.apiKey, m.azureAdToken, m.clientSecret]),
    passwordOf(databaseUrl),
    passwordOf(redis),
  ].filter((s): s is string => typeof s === 'string' && s.length >= 4);
  const jwt = toJwtConfig(gs, env);
  const problems: ConfigProblem[] = [];
  const uiOidc = resolveUiOidc(gs.ui_oidc, jwt, source, problems, warnings);
  ConfigError.throwIfAny(problems);
  return {
    configFile,
    server: toServerConfig(file, args, env, port),
    database: databaseUrl
      ? {
          kind: 'postgres',
          url: databaseUrl,
          source: databaseSource,
          poolLimit: wholeSetting(gs.database_connection_pool_limit, POOL_LIMIT, source, warnings),
          poolWaitMs:
            wholeSetting(
              gs.database_connection_timeout ?? gs.database_connection_pool_timeout,
              POOL_WAIT_SEC,
              source,
              warnings,
            ) * 1000,
        }
      : { kind: 'embedded', dataDir: resolve(cwd, env.DATA_DIR || '.data') },
    redisUrl: redis,
    masterKey,
    masterKeySource,
    jwt,
    allowedRoutes: gs.litellm_jwtauth.team_allowed_routes ?? gs.allowed_routes,
    models,
    azureAuthorityHost: env.AZURE_AUTHORITY_HOST || DEFAULT_AZURE_AUTHORITY_HOST,
    router,
    spend: {
      writeIntervalMs: Math.round((gs.proxy_batch_write_at ?? DEFAULT_SPEND_WRITE_SEC) * 1000),
      logs: !gs.disable_spend_logs,
      ...retentionOf(gs.maximum_spend_logs_retention_period),
      retentionIntervalMs: fixedDurationMs(gs.maximum_spend_logs_retention_interval ?? DEFAULT_RETENTION_INTERVAL),
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
      maxParsedKeys: gs.key_cache_max_parsed_keys ?? DEFAULT_KEY_CACHE_MAX_PARSED_KEYS,
    },
    authFailuresPerMinute: gs.max_auth_failures_per_minute ?? DEFAULT_AUTH_FAILURES_PER_MINUTE,
    secrets,
    warnings,
  };
}

function passwordOf(url: string | undefined): string | undefined {
  if (!url) return undefined;
  try {
    return decodeURIComponent(new URL(url).password) || undefined;
  } catch {
    return undefined;
  }
}

/** The retention period: fixed (`30d`) in ms, or calendar months (`1mo`), whose length varies. */
function retentionOf(period: string | undefined): { retentionMs: number | null; retentionMonths?: number } {
  if (!period) return { retentionMs: null };
  const months = durationSpan(period)?.months;
  if (months !== undefined) return { retentionMs: null, retentionMonths: months };
  return { retentionMs: fixedDurationMs(period) };
}
