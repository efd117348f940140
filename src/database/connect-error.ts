import { StartupError } from '../common/errors/startup-error';

/** How long the first connection at start may take, in ms. */
export const CONNECT_TIMEOUT_MS = 10_000;

/**
 * The first connection's failure as one line that says it is the database, where it is and what went wrong:
 * `database at db:5432/gw (from DATABASE_URL): password authentication failed for user "gw"`. `pg`'s own texts
 * (`timeout expired`, `connect ECONNREFUSED ...`) never said "database". The server's messages name at most the user
 * and the database, never the password; the URL itself is not repeated.
 */
export function connectFailure(where: string, err: unknown): StartupError {
  const e = (err ?? {}) as { code?: unknown; message?: unknown; severity?: unknown };
  const code = typeof e.code === 'string' ? e.code : '';
  const message = typeof e.message === 'string' ? e.message : String(err);
  return new StartupError(`${where}: ${reason(code, message, e.severity !== undefined)}`);
}

function reason(code: string, message: string, fromServer: boolean): string {
  // PostgreSQL's own answer (a 5-character SQLSTATE): its message says it best.
  if (fromServer) return message;
  if (code === 'ECONNREFUSED') return 'connection refused (is PostgreSQL running and listening there?)';
  if (code === 'ENOTFOUND' || code === 'EAI_AGAIN') return 'host name not found';
  if (code === 'ETIMEDOUT' || code === 'EHOSTUNREACH' || code === 'ENETUNREACH' || message === 'timeout expired')
    return `not reachable within ${CONNECT_TIMEOUT_MS / 1000} s`;
  if (code === 'ECONNRESET' || /^Connection terminated/.test(message))
    return 'the server closed the connection during start-up (is it PostgreSQL? does it require SSL: add ?sslmode=require)';
  if (/SSL/.test(message)) return message;
  return message.split('\n')[0];
}
