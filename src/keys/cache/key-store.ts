import { Injectable } from '@nestjs/common';
import { pgEnd } from '../../common/time/pg-time';
import { DatabaseService } from '../../database/database.service';
import type { KeyRow } from '../keys.repository';
import type { ChangeSource } from './change-log';
import { TUPLE_COLUMNS } from './key-tuple';

/**
 * A key's columns as the key cache holds them (cached-key.ts), read over the pool directly: the bulk load, batched
 * misses and the change log carry thousands of rows, where Prisma's per-row mapping would cost more than the query.
 * `changeSeq` orders the row among all key changes (a number: it stays far below 2^53). Empty arrays and objects come
 * as null: most keys have no models, routes, metadata or extras, and parsing `{}` five times a row was a large part
 * of what reading a million keys cost.
 */
export type KeySource = Pick<
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
  | 'metadata'
  | 'teamId'
  | 'userId'
  | 'blocked'
  | 'extra'
  | 'modelSpend'
  | 'budgetResetAt'
  | 'budgetDuration'
> & {
  readonly models: readonly string[] | null;
  readonly allowedRoutes: readonly string[] | null;
  readonly changeSeq: number | bigint;
};

/** A token that stopped existing, at its place in the change sequence. */
export interface KeyRemoval {
  readonly token: string;
  readonly changeSeq: number;
}

const COLUMNS = `token, key_name AS "keyName", key_alias AS "keyAlias", NULLIF(models, '{}') AS models,
  NULLIF(allowed_routes, '{}') AS "allowedRoutes", expires, max_budget AS "maxBudget", spend, rpm_limit AS "rpmLimit",
  tpm_limit AS "tpmLimit", max_parallel_requests AS "maxParallelRequests", NULLIF(metadata, '{}') AS metadata,
  team_id AS "teamId", user_id AS "userId", blocked, NULLIF(extra, '{}') AS extra,
  NULLIF(model_spend, '{}') AS "modelSpend", budget_reset_at AS "budgetResetAt", change_seq::float8 AS "changeSeq",
  budget_duration AS "budgetDuration"`;

/** The key cache's reads: plain parameterised SQL on the gateway's pool (DatabaseService.query). */
@Injectable()
export class KeyStore implements ChangeSource<KeySource, KeyRemoval> {
  constructor(private readonly db: DatabaseService) {}

  /** The store speaks COPY (PostgreSQL; not the embedded store): the bulk load uses `copyKeys`, else `page`. */
  get canCopy(): boolean {
    return this.db.canCopyOut;
  }

  /**
   * Every key, up to `limit` and one more (to tell that there are more), as COPY's binary rows (key-tuple.ts), in
   * chunks as they arrive: one statement (one snapshot, the table read in its own order), and no parsed row per key.
   */
  copyKeys(limit: number, onData: (chunk: Buffer) => void): Promise<void> {
    const n = Math.floor(limit) + 1;
    return this.db.copyOut(
      `COPY (SELECT ${TUPLE_COLUMNS} FROM virtual_keys LIMIT ${n}) TO STDOUT (FORMAT binary)`,
      onData,
    );
  }

  /** Up to `limit` keys with tokens after `after`, in token order (the bulk load's pages where COPY is not spoken). */
  page(after: string, limit: number): Promise<KeySource[]> {
    return this.db
      .query<KeySource>(`SELECT ${COLUMNS} FROM virtual_keys WHERE token > $1 ORDER BY token LIMIT $2`, [after, limit])
      .then(withEnds);
  }

  /** These keys, those that exist: one query for any number of tokens. */
  byTokens(tokens: readonly string[]): Promise<KeySource[]> {
    return this.db
      .query<KeySource>(`SELECT ${COLUMNS} FROM virtual_keys WHERE token = ANY($1)`, [tokens])
      .then(withEnds);
  }

  /** The last change recorded so far (0: none). */
  async lastChange(): Promise<number> {
    const [row] = await this.db.query<{ seq: number }>(
      `SELECT GREATEST((SELECT max(change_seq) FROM virtual_keys), (SELECT max(change_seq) FROM virtual_key_tombstones),
        0)::float8 AS seq`,
    );
    return row?.seq ?? 0;
  }

  /** Keys changed and tokens removed after `seq`. */
  async changesSince(seq: number): Promise<{ rows: KeySource[]; removed: KeyRemoval[] }> {
    const rows = withEnds(
      await this.db.query<KeySource>(`SELECT ${COLUMNS} FROM virtual_keys WHERE change_seq > $1`, [seq]),
    );
    const removed = await this.db.query<KeyRemoval>(
      'SELECT token, change_seq::float8 AS "changeSeq" FROM virtual_key_tombstones WHERE change_seq > $1',
      [seq],
    );
    return { rows, removed };
  }

  /** Tombstones older than a day: every running instance has read them long before. */
  async pruneRemovals(): Promise<void> {
    await this.db.query(`DELETE FROM virtual_key_tombstones WHERE removed_at < now() - interval '1 day'`);
  }
}

/** `pg` reads PostgreSQL's `infinity` and `-infinity` as numbers: here, as the ends in time they stand for. */
function withEnds(rows: KeySource[]): KeySource[] {
  for (const r of rows as { expires: Date | number | null; budgetResetAt: Date | number | null }[]) {
    if (typeof r.expires === 'number') r.expires = pgEnd(r.expires);
    if (typeof r.budgetResetAt === 'number') r.budgetResetAt = pgEnd(r.budgetResetAt);
  }
  return rows;
}
