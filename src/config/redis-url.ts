import type { Env } from './config.util';
import type { FileConfig } from './config.schema';

/**
 * The Redis shared by several instances: env REDIS_URL, else `router_settings.redis_url`, else a host (with port,
 * password, database) from `router_settings.redis_*`, `litellm_settings.cache_params` or env REDIS_HOST /
 * REDIS_PORT / REDIS_PASSWORD, as LiteLLM reads them. Undefined: in-process state.
 */
export function redisUrlOf(file: FileConfig, env: Env): string | undefined {
  if (env.REDIS_URL) return env.REDIS_URL;
  const r = file.router_settings;
  if (r.redis_url) return r.redis_url;
  const c = file.litellm_settings.cache_params;
  const host = r.redis_host ?? c?.host ?? (env.REDIS_HOST || undefined);
  if (!host) return undefined;
  const port = r.redis_port ?? c?.port ?? (env.REDIS_PORT || 6379);
  const password = r.redis_password ?? c?.password ?? (env.REDIS_PASSWORD || undefined);
  const auth = password ? `:${encodeURIComponent(password)}@` : '';
  const h = host.includes(':') && !host.startsWith('[') ? `[${host}]` : host;
  return `redis://${auth}${h}:${port}${r.redis_db !== undefined ? `/${r.redis_db}` : ''}`;
}
