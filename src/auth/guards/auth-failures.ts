import type { LRUCache } from 'lru-cache';
import { boundedLru } from '../../common/cache/bounded-lru';
import { Errors } from '../../common/errors/gateway-error';

/**
 * Refusals of a credential that exists (a blocked or expired key): not a guess, so not counted. A client whose
 * key was blocked keeps getting 401 with the reason, never 429.
 */
const KNOWN_CREDENTIAL = new Set(['key_blocked', 'key_expired']);

/** Whether a 401 of this code counts as a failed credential. */
export function countsAsFailure(code: string): boolean {
  return !KNOWN_CREDENTIAL.has(code);
}

/** Client addresses tracked at once: a flood from more addresses than this forgets the oldest. */
const MAX_CLIENTS = 10_000;
export const AUTH_FAILURE_WINDOW_MS = 60_000;

interface Count {
  n: number;
  /** When the window that began with the client's first failure ends. */
  readonly until: number;
}

/**
 * Failed credentials (unknown or invalid) per client address (`request.ip`: `general_settings.trust_proxy` decides
 * whether a proxy's X-Forwarded-For names it): past `max` in a minute, the address is refused (429) until the minute
 * ends, before its credential is looked up, so a flood of made-up keys costs neither the database nor a JWT
 * verification. Warm credentials never ask (the guard's fast paths come first); with no failure tracked, asking
 * costs one property read.
 */
export class AuthFailures {
  private readonly clients: LRUCache<string, Count> = boundedLru<string, Count>(MAX_CLIENTS);

  constructor(private readonly max: number) {}

  /** Some client has failed lately. */
  get tracking(): boolean {
    return this.clients.size > 0;
  }

  /** Throws 429 when `client` is past its failures for this minute. */
  check(client: string): void {
    const c = this.clients.get(client);
    if (c === undefined || c.n < this.max) return;
    const now = Date.now();
    if (c.until <= now) {
      this.clients.delete(client);
      return;
    }
    throw Errors.rateLimited(
      'Too many failed credentials from this client; retry later',
      (c.until - now) / 1000,
      'too_many_auth_failures',
    );
  }

  failed(client: string): void {
    if (this.max === 0) return;
    const now = Date.now();
    const c = this.clients.get(client);
    if (c === undefined || c.until <= now) this.clients.set(client, { n: 1, until: now + AUTH_FAILURE_WINDOW_MS });
    else c.n++;
  }
}
