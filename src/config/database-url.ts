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
