import type { RoutePolicy } from './routes/route-policy';

/**
 * Who is calling: decided once per request by the global auth guard, then read by everything after it.
 * Never holds a secret (no token, no key): only ids and hashes.
 */
export type CallerRole =
  'master' | 'admin' | 'proxy_admin_viewer' | 'internal_user' | 'internal_user_viewer' | 'team' | 'virtual_key';

export interface Caller {
  /**
   * A virtual key's is its user's `user_role` (`proxy_admin` is 'admin'), else 'virtual_key': `via` tells a key from
   * a JWT of the same role.
   */
  readonly role: CallerRole;
  /** How it authenticated. */
  readonly via: 'master_key' | 'jwt' | 'virtual_key';
  /**
   * Team id: the JWT's `team_id_jwt_field` claim (else the first of `team_ids_jwt_field`, else `team_id_default`),
   * or the virtual key's `team_id`.
   */
  readonly teamId?: string;
  /**
   * The JWT's teams when it has several (its `team_id_jwt_field` team first, then its `team_ids_jwt_field` list):
   * the call uses the first that may use its model, unless one is pinned.
   */
  readonly teamIds?: readonly string[];
  /** The team was picked by the request's `x-litellm-team-id` header. */
  readonly teamPinned?: boolean;
  /** The JWT's `user_email_jwt_field` claim. */
  readonly userEmail?: string;
  /** The JWT's `end_user_id_jwt_field` claim: the end user of its calls when the body names none. */
  readonly endUserId?: string;
  /** With `enforce_scope_based_access`: the models the token's scopes grant (undefined: not enforced). */
  readonly scopeModels?: readonly string[];
  /** The JWT's `user_id_jwt_field` claim, or the virtual key's `user_id`. */
  readonly userId?: string;
  /** JWT `sub` and `client_id`/`azp`, recorded as the actor of admin actions. */
  readonly subject?: string;
  readonly clientId?: string;
  /** The virtual key's token: SHA-256 hex of its secret, its id (LiteLLM's name). */
  readonly token?: string;
  /** The virtual key's `key_alias` (a name its owner chose, not a secret), for the access log. */
  readonly keyAlias?: string;
  readonly scopes: readonly string[];
}

declare module 'fastify' {
  interface FastifyRequest {
    caller?: Caller;
    /** The caller's compiled route policy, set with `caller` by the guard. */
    routePolicy?: RoutePolicy;
  }
}
