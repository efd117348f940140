import type { Caller } from './caller';
import type { RoutePolicy } from './routes/route-policy';

/**
 * What a Passport strategy gives the guard: who is calling, and the compiled route policy that applies to them.
 * Built once per token, key record or master key and reused (no per-request allocation on warm paths).
 */
export interface AuthResult {
  readonly caller: Caller;
  readonly policy: RoutePolicy;
}
