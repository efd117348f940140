import type { AuthResult } from '../auth/auth-result';
import type { KeyExtras } from './key-extras';
import type { KeyRow } from './keys.repository';

/**
 * A virtual key as the hot path sees it (from the in-memory cache): the stored row's columns it needs, typed from
 * the row itself (`token` is the hex SHA-256 of the secret, never the secret). `models` empty = every model group;
 * `allowedRoutes` empty = the default routes; `spend` includes spend not yet flushed by this process.
 */
export type KeyRecord = Readonly<
  Pick<
    KeyRow,
    | 'token'
    | 'keyName'
    | 'keyAlias'
    | 'expires'
    | 'maxBudget'
    | 'spend'
    | 'rpmLimit'
    | 'tpmLimit'
    | 'maxParallelRequests'
    | 'teamId'
    | 'userId'
    | 'blocked'
  >
> & {
  readonly models: readonly string[];
  readonly allowedRoutes: readonly string[];
  readonly metadata: Readonly<Record<string, unknown>>;
  /** LiteLLM fields with effect (key-extras.ts); the cache's records have them. */
  readonly extras?: Pick<KeyExtras, 'tags'>;
  /**
   * What authentication made of the key (its caller and route policy), on its first use: kept on the record rather
   * than in a map beside it, so a million keys hold no million weak-map entries, and a changed key (a new record)
   * gets its own.
   */
  authResult?: AuthResult;
  /** The users' version (AccessDirectory.usersVersion) `authResult` was made at: its user's role may have changed since. */
  authUsers?: number;
};
