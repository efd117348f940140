import { Errors, GatewayError } from '../common/errors/gateway-error';

/** Raised by the repository when an insert or update hits a unique index (custom key or key_alias taken). */
export class UniqueViolation extends Error {
  constructor(readonly fields: readonly string[]) {
    super(`unique constraint on ${fields.join(', ') || 'unknown field'}`);
  }
}

const PRISMA_UNAVAILABLE = new Set(['P1001', 'P1002', 'P1008', 'P1017', 'P2024', 'P2028']);
const ADAPTER_UNAVAILABLE = new Set([
  'DatabaseNotReachable',
  'ConnectionClosed',
  'SocketTimeout',
  'TooManyConnections',
  'DatabaseDoesNotExist',
  'DatabaseAccessDenied',
  'AuthenticationFailed',
  'TlsConnectionError',
]);
const ERRNO_UNAVAILABLE = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'ETIMEDOUT',
  'EPIPE',
  'ENOTFOUND',
  'EHOSTUNREACH',
  'EAI_AGAIN',
]);
// SQLSTATE: connection exceptions (08*), admin shutdown / cannot connect now (57P*), no such database, not accepting.
const SQLSTATE_UNAVAILABLE = /^(08|57P0|3D000|55000|53300)/;
const MESSAGE_UNAVAILABLE =
  /connection terminated|timeout exceeded when trying to connect|connection error|cannot use a pool after calling end|not queryable|database .* does not (exist|allow connections)|the database system is (starting up|shutting down)|Client was closed|PGlite is closed|query read timeout/i;

/** True when an error from Prisma, its driver adapter, pg or PGlite means "the database cannot be reached now". */
export function isDatabaseUnavailable(err: unknown): boolean {
  const seen = new Set<unknown>();
  const stack: unknown[] = [err];
  while (stack.length > 0) {
    const e = stack.pop();
    if (!e || typeof e !== 'object' || seen.has(e)) continue;
    seen.add(e);
    const o = e as {
      code?: unknown;
      kind?: unknown;
      originalCode?: unknown;
      message?: unknown;
      name?: unknown;
      cause?: unknown;
      meta?: { driverAdapterError?: unknown };
    };
    if (o.name === 'PrismaClientInitializationError') return true;
    if (
      typeof o.code === 'string' &&
      (PRISMA_UNAVAILABLE.has(o.code) || ERRNO_UNAVAILABLE.has(o.code) || SQLSTATE_UNAVAILABLE.test(o.code))
    )
      return true;
    if (typeof o.kind === 'string' && ADAPTER_UNAVAILABLE.has(o.kind)) return true;
    if (typeof o.originalCode === 'string' && SQLSTATE_UNAVAILABLE.test(o.originalCode)) return true;
    if (typeof o.message === 'string' && MESSAGE_UNAVAILABLE.test(o.message)) return true;
    stack.push(o.cause, o.meta?.driverAdapterError);
  }
  return false;
}

/** What a unique violation (P2002) names: constraint fields, or the index name (adapter-pg gives the index), else null. */
export function uniqueViolationFields(err: unknown): string[] | null {
  type Constraint = { fields?: unknown; index?: unknown };
  const e = err as {
    code?: unknown;
    meta?: { target?: unknown; driverAdapterError?: { cause?: { constraint?: Constraint } } };
  } | null;
  if (!e || e.code !== 'P2002') return null;
  const c = e.meta?.driverAdapterError?.cause?.constraint;
  const named = c?.fields ?? c?.index ?? e.meta?.target;
  return Array.isArray(named) ? named.map(String) : typeof named === 'string' ? [named] : [];
}

/** Repository catch-all: unique violations become UniqueViolation, an unreachable database a 503; the rest is a bug. */
export function rethrowDatabaseError(err: unknown): never {
  if (err instanceof GatewayError || err instanceof UniqueViolation) throw err;
  const fields = uniqueViolationFields(err);
  if (fields) throw new UniqueViolation(fields);
  if (isDatabaseUnavailable(err))
    throw Errors.unavailable(
      'The key database is unavailable; key management is paused until it is back (model calls with known keys keep working)',
      'database_unavailable',
    );
  throw err;
}
