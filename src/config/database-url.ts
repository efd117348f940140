import { ConfigError } from './config.error';

/**
 * Refuses a database URL that is not a PostgreSQL URL before anything connects: `pg` reads other text as a path
 * under a default host, and the start failed with a DNS error about a host nobody wrote.
 */
export function checkDatabaseUrl(url: string, source: string): void {
  let parsed: URL | undefined;
  try {
    parsed = new URL(url);
  } catch {
    parsed = undefined;
  }
  const ok =
    parsed !== undefined &&
    (parsed.protocol === 'postgresql:' || parsed.protocol === 'postgres:') &&
    (parsed.hostname !== '' || parsed.searchParams.has('host'));
  if (!ok)
    throw new ConfigError(
      `${source} is not a PostgreSQL URL`,
      '',
      `"${withoutCredentials(url)}" (expected postgresql://USER:PASSWORD@HOST:5432/DATABASE)`,
    );
}

/** `host:port/database` of a PostgreSQL URL: where it points, never who logs in or with what. */
export function databaseLocation(url: string): string {
  try {
    const u = new URL(url);
    const host = u.hostname || u.searchParams.get('host') || 'localhost';
    return `${host}:${u.port || '5432'}${u.pathname.length > 1 ? u.pathname : ''}`;
  } catch {
    return withoutCredentials(url);
  }
}

/** The text with whatever stands before its last `@` (after `//` if any) masked, shortened: it may hold a password. */
function withoutCredentials(text: string): string {
  const at = text.lastIndexOf('@');
  const scheme = text.indexOf('//');
  const from = scheme >= 0 && scheme < at ? scheme + 2 : 0;
  const masked = at < 0 ? text : `${text.slice(0, from)}***${text.slice(at)}`;
  return masked.length > 80 ? `${masked.slice(0, 80)}...` : masked;
}

/** A whole-number database setting read as LiteLLM reads it: its name, default and bounds. */
interface WholeSetting {
  readonly name: string;
  readonly fallback: number;
  readonly min: number;
  readonly max: number;
}

/** PostgreSQL connections in the pool (LiteLLM's default, 10). */
export const POOL_LIMIT: WholeSetting = { name: 'database_connection_pool_limit', fallback: 10, min: 1, max: 1_000 };
/** Seconds a query may wait for a connection of the pool: the gateway's default fails fast when the pool is stuck. */
export const POOL_WAIT_SEC: WholeSetting = { name: 'database_connection_timeout', fallback: 5, min: 1, max: 600 };

/**
 * A `general_settings` number as LiteLLM reads it, never stopping the start: a fraction is cut to its whole part, a
 * value below the bound or no number gives the default and one above the bound gives the bound, each with a warning
 * where LiteLLM is silent.
 */
export function wholeSetting(value: unknown, s: WholeSetting, source: string, warnings: string[]): number {
  if (value === undefined || value === null) return s.fallback;
  const text = typeof value === 'string' && /^\s*\d+(\.\d*)?\s*$/.test(value) ? Number(value) : NaN;
  const n = Math.trunc(typeof value === 'number' ? value : text);
  const at = `${source}: general_settings.${s.name}`;
  if (!(n >= s.min)) {
    warnings.push(`${at}: not a number of at least ${s.min}; the default ${s.fallback} is used`);
    return s.fallback;
  }
  if (n > s.max) {
    warnings.push(`${at}: more than ${s.max}; ${s.max} is used`);
    return s.max;
  }
  return n;
}
