import { Injectable } from '@nestjs/common';
import { DatabaseService } from '../database/database.service';
import { Prisma, type VirtualKey } from '../generated/prisma/client';
import type { Actor } from './actor';
import { rethrowDatabaseError } from './db-errors';

export type KeyRow = VirtualKey;
/** Columns a management change may set (plain values, valid for both create and update). */
export interface KeyChanges {
  token?: string;
  keyName?: string;
  keyAlias?: string | null;
  models?: string[];
  allowedRoutes?: string[];
  expires?: Date | null;
  maxBudget?: number | null;
  rpmLimit?: number | null;
  tpmLimit?: number | null;
  maxParallelRequests?: number | null;
  metadata?: Prisma.InputJsonValue;
  teamId?: string | null;
  userId?: string | null;
  blocked?: boolean;
  /** The role of whoever blocked the key (null: not blocked); see key-scope.ts. */
  blockedBy?: string | null;
  /** LiteLLM fields to set in `extra` (a null value removes one); the others stored there are kept. */
  extra?: Record<string, unknown>;
}

export type NewKey = KeyChanges & { token: string; keyName: string; createdBy: string };

export interface AuditEntry {
  action: string;
  keyHash: string | null;
  details?: Record<string, unknown>;
}

export interface SpendResult {
  /** False when this batch had been applied before (nothing was added now). */
  applied: boolean;
  /** Totals after the write, per key token and per team id (empty when not applied). */
  keys: Map<string, number>;
  teams: Map<string, number>;
}

/** The rows a caller may manage (key-scope.ts): empty for every row. */
export type KeyScopeWhere = Prisma.VirtualKeyWhereInput;

export interface KeyFilter {
  teamId?: string;
  userId?: string;
  keyAlias?: string;
}

/** Data access for virtual keys, team spend and the audit log: the only code that touches these tables. */
@Injectable()
export class KeysRepository {
  constructor(private readonly db: DatabaseService) {}

  private get prisma() {
    return this.db.prisma;
  }

  findByToken(token: string): Promise<KeyRow | null> {
    return guard(this.prisma.virtualKey.findUnique({ where: { token } }));
  }

  findByTokens(tokens: readonly string[], scope: KeyScopeWhere = {}): Promise<KeyRow[]> {
    return guard(this.prisma.virtualKey.findMany({ where: { token: { in: [...tokens] }, ...scope } }));
  }

  findByAliases(aliases: readonly string[], scope: KeyScopeWhere = {}): Promise<KeyRow[]> {
    return guard(this.prisma.virtualKey.findMany({ where: { keyAlias: { in: [...aliases] }, ...scope } }));
  }

  /** Inserts a key and its audit row in one transaction. A taken token or alias raises P2002 (see db-errors). */
  create(data: NewKey, actor: Actor, audit: AuditEntry): Promise<KeyRow> {
    return guard(
      this.prisma.$transaction(async (tx) => {
        const row = await tx.virtualKey.create({ data: { ...data, extra: mergeExtra({}, data.extra) } });
        await tx.auditLog.create({ data: auditData(actor, audit) });
        return row;
      }),
    );
  }

  /**
   * Updates a key (the token itself too, for regenerate) and writes the audit row. Null when the key is unknown (or
   * out of `scope`). `creator`: rows created by `from` are now created by `to` (a regenerated key's new id).
   */
  update(
    token: string,
    changes: KeyChanges,
    actor: Actor,
    audit: AuditEntry,
    scope: KeyScopeWhere = {},
    creator?: { from: string; to: string },
  ): Promise<KeyRow | null> {
    return guard(
      this.prisma.$transaction(async (tx) => {
        const { extra: patch, ...columns } = changes;
        let extra: Prisma.InputJsonValue | undefined;
        if (patch) {
          const current = await tx.virtualKey.findFirst({ where: { token, ...scope }, select: { extra: true } });
          if (!current) return null;
          extra = mergeExtra(current.extra, patch);
        }
        const found = await tx.virtualKey.updateMany({
          where: { token, ...scope },
          data: { ...columns, ...(extra !== undefined && { extra }), updatedBy: actor.id },
        });
        if (found.count === 0) return null;
        // A regenerated key keeps the keys it created (`created_by` names it by its hash).
        if (creator)
          await tx.virtualKey.updateMany({ where: { createdBy: creator.from }, data: { createdBy: creator.to } });
        const newToken = typeof changes.token === 'string' ? changes.token : token;
        const row = await tx.virtualKey.findUniqueOrThrow({ where: { token: newToken } });
        await tx.auditLog.create({ data: auditData(actor, { ...audit, keyHash: audit.keyHash ?? newToken }) });
        return row;
      }),
    );
  }

  /** Deletes exactly these keys (all or nothing) with one audit row each; returns the rows deleted. */
  deleteKeys(tokens: readonly string[], actor: Actor, scope: KeyScopeWhere = {}): Promise<number> {
    return guard(
      this.prisma.$transaction(async (tx) => {
        const res = await tx.virtualKey.deleteMany({ where: { token: { in: [...tokens] }, ...scope } });
        await tx.auditLog.createMany({
          data: tokens.map((t) => auditData(actor, { action: 'key.delete', keyHash: t })),
        });
        return res.count;
      }),
    );
  }

  /** How many keys have a budget (for the start-up check of unpriced deployments). */
  countWithBudget(): Promise<number> {
    return this.prisma.virtualKey.count({ where: { maxBudget: { not: null } } });
  }

  async list(
    filter: KeyFilter,
    page: number,
    size: number,
    scope: KeyScopeWhere = {},
  ): Promise<{ rows: KeyRow[]; total: number }> {
    const where: Prisma.VirtualKeyWhereInput = {
      AND: [{ teamId: filter.teamId, userId: filter.userId, keyAlias: filter.keyAlias }, scope],
    };
    const [rows, total] = await guard(
      this.prisma.$transaction([
        this.prisma.virtualKey.findMany({
          where,
          orderBy: [{ createdAt: 'asc' }, { token: 'asc' }],
          skip: (page - 1) * size,
          take: size,
        }),
        this.prisma.virtualKey.count({ where }),
      ]),
    );
    return { rows, total };
  }

  teamSpend(teamId: string): Promise<number> {
    return guard(this.prisma.teamSpend.findUnique({ where: { teamId } })).then((r) => r?.spend ?? 0);
  }

  /**
   * Adds spend amounts (`spend = spend + x`, so concurrent instances never overwrite each other) and answers the new
   * totals. Keys that no longer exist are simply absent from the answer. `batchId` makes it idempotent: a batch
   * already applied (a retry after a lost answer) changes nothing and answers `applied: false`. One statement, so one
   * round trip and its own transaction: the batch row and the updates run on one snapshot, and the updates apply
   * only when the batch row is new. It runs once a second under load, so it is kept to what that needs.
   */
  async addSpend(
    batchId: string,
    keys: ReadonlyMap<string, number>,
    teams: ReadonlyMap<string, number>,
  ): Promise<SpendResult> {
    const kt = [...keys.keys()];
    const ka = kt.map((t) => keys.get(t)!);
    const tt = [...teams.keys()];
    const ta = tt.map((t) => teams.get(t)!);
    const rows = await guard(
      this.prisma.$queryRaw<{ kind: 'b' | 'k' | 't'; id: string; spend: number }[]>`
        WITH fresh AS (
          INSERT INTO spend_batches (id) VALUES (${batchId}) ON CONFLICT (id) DO NOTHING RETURNING id
        ), k AS (
          UPDATE virtual_keys AS v SET spend = v.spend + d.amount
          FROM unnest(${kt}::text[], ${ka}::float8[]) AS d(token, amount)
          WHERE v.token = d.token AND EXISTS (SELECT 1 FROM fresh)
          RETURNING v.token, v.spend
        ), t AS (
          INSERT INTO team_spend (team_id, spend, updated_at)
          SELECT d.team_id, d.amount, now() FROM unnest(${tt}::text[], ${ta}::float8[]) AS d(team_id, amount)
          WHERE EXISTS (SELECT 1 FROM fresh)
          ON CONFLICT (team_id) DO UPDATE SET spend = team_spend.spend + EXCLUDED.spend, updated_at = now()
          RETURNING team_id, spend
        )
        SELECT 'b' AS kind, id, 0::float8 AS spend FROM fresh
        UNION ALL SELECT 'k', token, spend FROM k
        UNION ALL SELECT 't', team_id, spend FROM t`,
    );
    if (!rows.some((r) => r.kind === 'b')) return { applied: false, keys: new Map(), teams: new Map() };
    const result: SpendResult = { applied: true, keys: new Map(), teams: new Map() };
    for (const r of rows) {
      if (r.kind === 'k') result.keys.set(r.id, Number(r.spend));
      else if (r.kind === 't') result.teams.set(r.id, Number(r.spend));
    }
    return result;
  }

  /** Forgets spend batch ids older than a day (a retry comes within seconds); answers how many were removed. */
  pruneSpendBatches(): Promise<number> {
    return guard(this.prisma.$executeRaw`DELETE FROM spend_batches WHERE applied_at < now() - interval '1 day'`);
  }
}

function auditData(actor: Actor, e: AuditEntry): Prisma.AuditLogCreateManyInput {
  const details = { ...(e.details ?? {}), ...(actor.clientId ? { client_id: actor.clientId } : {}) };
  return {
    actor: actor.id,
    actorRole: actor.role,
    action: e.action,
    keyHash: e.keyHash,
    details: details,
  };
}

function guard<T>(p: Promise<T>): Promise<T> {
  return p.catch(rethrowDatabaseError);
}

/** `extra` with `patch` applied: a null value removes the field. */
function mergeExtra(current: unknown, patch: Record<string, unknown> | undefined): Prisma.InputJsonValue {
  const out: Record<string, unknown> = { ...(current && typeof current === 'object' ? current : {}) };
  for (const [k, v] of Object.entries(patch ?? {})) {
    if (v === null) delete out[k];
    else out[k] = v;
  }
  return out as Prisma.InputJsonValue;
}
