import { Injectable } from '@nestjs/common';
import { DatabaseService } from '../../database/database.service';
import type { ChangeSource } from '../cache/change-log';
import { rethrowDatabaseError } from '../db-errors';
import type { LimitColumns } from './limited-object';
import type { ObjectKind } from './object-kind';

/** `changeSeq` orders the row among all changes of teams, users and end users (the mirror's change log). */
export type ObjectRow = LimitColumns & { id: string; alias: string | null; userRole: string | null; changeSeq: number };
/** A changed row, of any kind. */
export type ObjectChange = ObjectRow & { kind: ObjectKind };
/** An object that stopped existing (or changed id), at its place in the change sequence. */
export interface ObjectRemoval {
  readonly kind: ObjectKind;
  readonly id: string;
  readonly changeSeq: number;
}

/** Table and id column per kind: constants, never input. */
const TABLES: Readonly<Record<ObjectKind, { table: string; id: string; alias: string; role: string; all: boolean }>> = {
  team: { table: 'teams', id: 'team_id', alias: 'team_alias', role: 'NULL::text', all: true },
  // A user's role: the role its virtual keys act with.
  user: { table: 'users', id: 'user_id', alias: 'user_alias', role: 'user_role', all: true },
  // End users are many and mostly unlimited: only those admission must look at are held in memory.
  end_user: { table: 'end_users', id: 'user_id', alias: 'alias', role: 'NULL::text', all: false },
};

const COLUMNS = `models, spend, max_budget AS "maxBudget", soft_budget AS "softBudget",
  budget_duration AS "budgetDuration", budget_reset_at AS "budgetResetAt",
  soft_budget_alerted_at AS "softBudgetAlertedAt", rpm_limit AS "rpmLimit", tpm_limit AS "tpmLimit",
  max_parallel_requests AS "maxParallelRequests", blocked, change_seq::float8 AS "changeSeq"`;
const ENFORCED = `(blocked OR cardinality(models) > 0 OR max_budget IS NOT NULL OR soft_budget IS NOT NULL
  OR rpm_limit IS NOT NULL OR tpm_limit IS NOT NULL OR max_parallel_requests IS NOT NULL)`;

/** The id, alias and role columns of a table. */
function head(t: (typeof TABLES)[ObjectKind]): string {
  return `${t.id} AS id, ${t.alias} AS alias, ${t.role} AS "userRole"`;
}

/** Every kind's changed rows after $1, in one statement. */
const CHANGED = (Object.entries(TABLES) as [ObjectKind, (typeof TABLES)[ObjectKind]][])
  .map(
    ([kind, t]) => `SELECT '${kind}' AS kind, ${head(t)}, ${COLUMNS} FROM ${t.table}
    WHERE change_seq > $1`,
  )
  .join(' UNION ALL ');

/** What the in-memory mirror of teams, users and end users reads (its change log too), and the lazy budget reset. */
@Injectable()
export class ObjectsRepository implements ChangeSource<ObjectChange, ObjectRemoval> {
  constructor(private readonly db: DatabaseService) {}

  async lastChange(): Promise<number> {
    const [row] = await this.query<{ seq: number }>(
      `SELECT GREATEST((SELECT max(change_seq) FROM teams), (SELECT max(change_seq) FROM users),
        (SELECT max(change_seq) FROM end_users), (SELECT max(change_seq) FROM access_object_tombstones),
        0)::float8 AS seq`,
    );
    return row?.seq ?? 0;
  }

  /** Rows of every kind changed after `seq` (end users without limits too: the mirror lets them go), and removals. */
  async changesSince(seq: number): Promise<{ rows: ObjectChange[]; removed: ObjectRemoval[] }> {
    const rows = await this.query<ObjectChange>(CHANGED, [seq]);
    const removed = await this.query<ObjectRemoval>(
      'SELECT kind, id, change_seq::float8 AS "changeSeq" FROM access_object_tombstones WHERE change_seq > $1',
      [seq],
    );
    return { rows, removed };
  }

  /** Tombstones older than a day: every running instance has read them long before. */
  async pruneRemovals(): Promise<void> {
    await this.query(`DELETE FROM access_object_tombstones WHERE removed_at < now() - interval '1 day' RETURNING 1`);
  }

  /** Every row the mirror holds of this kind. */
  loadAll(kind: ObjectKind): Promise<ObjectRow[]> {
    const t = TABLES[kind];
    const where = t.all ? '' : ` WHERE ${ENFORCED}`;
    return this.query(`SELECT ${head(t)}, ${COLUMNS} FROM ${t.table}${where}`);
  }

  /** These rows (absent ones are deleted, or not held: an end user without limits). */
  load(kind: ObjectKind, ids: readonly string[]): Promise<ObjectRow[]> {
    const t = TABLES[kind];
    const where = t.all ? '' : ` AND ${ENFORCED}`;
    return this.query(`SELECT ${head(t)}, ${COLUMNS} FROM ${t.table} WHERE ${t.id} = ANY($1::text[])${where}`, [
      [...ids],
    ]);
  }

  /**
   * Ends the budget period of these rows where it is over: spend back to 0, the next end one duration after the
   * previous (computed by the database, so every instance agrees). Guarded by the period end, so when several
   * instances ask at once one resets and the others change nothing. Answers the rows as they are now.
   */
  async resetDue(kind: ObjectKind, ids: readonly string[]): Promise<ObjectRow[]> {
    const t = TABLES[kind];
    await this.query(
      `UPDATE ${t.table} SET spend = 0, soft_budget_alerted_at = NULL,
         budget_reset_at = llmgw_next_reset(budget_reset_at, budget_duration, now())
       WHERE ${t.id} = ANY($1::text[]) AND budget_reset_at <= now() AND budget_duration IS NOT NULL RETURNING 1`,
      [[...ids]],
    );
    return this.query(`SELECT ${head(t)}, ${COLUMNS} FROM ${t.table} WHERE ${t.id} = ANY($1::text[])`, [[...ids]]);
  }

  /**
   * resetDue for the rows of a list whose period ended (none: no query). Answers whether any had, so the caller reads
   * the list again and answers their current period's end, as the info routes do.
   */
  async resetEnded<R extends { budgetResetAt: Date | null }>(
    kind: ObjectKind,
    rows: readonly R[],
    idOf: (row: R) => string,
  ): Promise<boolean> {
    const now = Date.now();
    const due = rows.filter((r) => r.budgetResetAt !== null && r.budgetResetAt.getTime() <= now).map(idOf);
    if (due.length === 0) return false;
    await this.resetDue(kind, due);
    return true;
  }

  private query<T = ObjectRow>(sql: string, params: unknown[] = []): Promise<T[]> {
    return this.db.prisma
      .$queryRawUnsafe<T[]>(sql, ...params)
      .then((rows) => rows.map((r) => numeric(r)), rethrowDatabaseError);
  }
}

/** Raw rows as the mirror wants them: numbers and dates whatever the driver answered. */
function numeric<T>(row: T): T {
  const r = row as Record<string, unknown>;
  for (const k of ['spend', 'maxBudget', 'softBudget'])
    if (typeof r[k] === 'string' || typeof r[k] === 'bigint') r[k] = Number(r[k]);
  for (const k of ['budgetResetAt', 'softBudgetAlertedAt'])
    if (typeof r[k] === 'string' || typeof r[k] === 'number') r[k] = new Date(r[k]);
  return row;
}
