import { Injectable } from '@nestjs/common';
import type { CopyAround } from '../database/copy-in';
import { DatabaseService } from '../database/database.service';
import { BinaryRows } from './spend-log-binary';
import { COPY_BINARY, ROW_COLUMN_LIST, ROW_TARGET } from './spend-log-copy';
import { DAY_MS } from './spend-log-days';
import type { SpendLogRow } from './spend-log-row';

/** Daily partitions are named `spend_logs_YYYYMMDD` (UTC days). */
const PARTITION = /^spend_logs_(\d{4})(\d{2})(\d{2})$/;
/** One advisory lock key for the deletion of old rows: one instance deletes at a time. */
const RETENTION_LOCK = 0x5e4d106;

/** PostgreSQL's "already exists" codes: another instance created the same partition at the same moment. */
const RACED = new Set(['42P07', '23505']);
/**
 * check_violation: "no partition of relation found for row" on a write, or, creating a day's partition, "updated
 * partition constraint for default partition would be violated" (rows of that day are in the default partition).
 */
const NO_PARTITION = '23514';
/** Where a row of a day without its own partition goes (imported or backdated rows). */
export const DEFAULT_PARTITION = 'spend_logs_default' as const;
/** unique_violation: a row of the batch is in the table already. */
const DUPLICATE = '23505';

/**
 * A batch that may be in the table already (an earlier attempt committed, its answer was lost): copied into a
 * temporary table of the same columns, then inserted from it skipping rows already there, in one transaction. Only
 * then: checking every row's key for a conflict costs the database a quarter more.
 */
const AGAIN_TABLE = 'spend_logs_again';
const COPY_AGAIN = `COPY "${AGAIN_TABLE}" (${ROW_COLUMN_LIST}) FROM STDIN (FORMAT binary)`;
const AGAIN: CopyAround = {
  before: [
    `CREATE TEMP TABLE IF NOT EXISTS "${AGAIN_TABLE}" (LIKE "spend_logs" INCLUDING DEFAULTS) ON COMMIT DELETE ROWS`,
  ],
  after: [`INSERT INTO ${ROW_TARGET} SELECT ${ROW_COLUMN_LIST} FROM "${AGAIN_TABLE}" ON CONFLICT DO NOTHING`],
};

/** A batch of rows as the store takes it. */
export type StoreBatch = BinaryRows;

export function partitionName(dayMs: number): string {
  return `spend_logs_${new Date(dayMs).toISOString().slice(0, 10).replace(/-/g, '')}`;
}

/**
 * The spend log table in SQL over the pg pool: one binary COPY per batch (on either store), daily partitions made
 * before they are written into, and the deletion of old days.
 */
@Injectable()
export class SpendLogStore {
  /** Days whose partition this process made or found (a day is created once per process). */
  private readonly days = new Set<number>();

  constructor(private readonly db: DatabaseService) {}

  /** An empty batch in the form this store is written in: COPY's binary rows. */
  newBatch(): StoreBatch {
    return new BinaryRows();
  }

  /** Writes `rows` as one batch. */
  insert(rows: readonly SpendLogRow[]): Promise<void> {
    const batch = this.newBatch();
    for (const r of rows) batch.add(r);
    return this.write(batch);
  }

  /**
   * One binary COPY: the cheapest way into a table for the database, numbers and times read as they are. A batch
   * that must skip rows already there (an earlier attempt committed, its answer lost): copied aside and inserted
   * skipping them.
   */
  async write(batch: StoreBatch): Promise<void> {
    try {
      await this.ensurePartitions(batch.days);
      await this.db.copyIn(COPY_BINARY, batch.chunks());
    } catch (err) {
      const code = (err as { code?: string }).code;
      // No partition for a row: a day this process knew was dropped meanwhile (retention on another instance).
      if (code === NO_PARTITION) this.days.clear();
      else if (code !== DUPLICATE) throw err;
      await this.ensurePartitions(batch.days);
      await this.db.copyIn(COPY_AGAIN, batch.chunks(), AGAIN);
    }
  }

  private async ensurePartitions(days: readonly number[]): Promise<void> {
    for (const day of days) if (!this.days.has(day)) await this.ensurePartition(day);
  }

  async ensurePartition(dayMs: number): Promise<void> {
    const from = new Date(dayMs).toISOString();
    const to = new Date(dayMs + DAY_MS).toISOString();
    try {
      await this.db.query(
        `CREATE TABLE IF NOT EXISTS "${partitionName(dayMs)}" PARTITION OF "spend_logs" FOR VALUES FROM ('${from}') TO ('${to}')`,
      );
    } catch (err) {
      const code = (err as { code?: string }).code ?? '';
      // The default partition holds rows of this day: the day's rows go on going there.
      if (!RACED.has(code) && code !== NO_PARTITION) throw err;
    }
    this.days.add(dayMs);
  }

  /** The days that have a partition, oldest first. */
  async partitionDays(): Promise<number[]> {
    const rows = await this.db.query<{ name: string }>(
      `SELECT c.relname AS name FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid
       WHERE i.inhparent = '"spend_logs"'::regclass`,
    );
    return rows
      .map((r) => PARTITION.exec(r.name))
      .filter((m): m is RegExpExecArray => m !== null)
      .map((m) => Date.UTC(Number(m[1]), Number(m[2]) - 1, Number(m[3])))
      .sort((a, b) => a - b);
  }

  /** Drops a whole day if this instance gets the retention lock; false when another instance holds it. */
  async dropDay(dayMs: number): Promise<boolean> {
    const table = partitionName(dayMs);
    await this.db.query(
      `DO $$ BEGIN IF pg_try_advisory_xact_lock(${RETENTION_LOCK}) THEN DROP TABLE IF EXISTS "${table}"; END IF; END $$`,
    );
    const [r] = await this.db.query<{ gone: boolean }>(`SELECT to_regclass($1) IS NULL AS gone`, [`"${table}"`]);
    if (r?.gone) this.days.delete(dayMs);
    return r?.gone === true;
  }

  /**
   * Deletes up to `limit` rows of one day older than `beforeMs`, under the retention lock (in the same statement).
   * Returns the number deleted, or -1 when another instance holds the lock.
   */
  async deleteOlder(dayMs: number | typeof DEFAULT_PARTITION, beforeMs: number, limit: number): Promise<number> {
    const table = dayMs === DEFAULT_PARTITION ? dayMs : partitionName(dayMs);
    const rows = await this.db.query<{ got: boolean; n: string }>(
      `WITH lock AS (SELECT pg_try_advisory_xact_lock(${RETENTION_LOCK}) AS got),
       gone AS (DELETE FROM "${table}" WHERE ctid IN (
         SELECT ctid FROM "${table}" WHERE "start_time" < $1 AND (SELECT got FROM lock) LIMIT $2) RETURNING 1)
       SELECT (SELECT got FROM lock) AS got, (SELECT count(*) FROM gone) AS n`,
      [new Date(beforeMs).toISOString(), limit],
    );
    return rows[0]?.got ? Number(rows[0].n) : -1;
  }
}
