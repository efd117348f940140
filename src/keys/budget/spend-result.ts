import type { SpendTotal } from '../invalidation/key-events';
import type { SpendKind, SpendRowAnswer } from './spend-statement';

/** What a spend write answers (KeysRepository.addSpend). */
export interface SpendResult {
  /** False when this batch had been applied before (nothing was added now). */
  applied: boolean;
  /** Totals after the write, in the current budget period, per key token, team, user and end user id. */
  keys: ReadonlyMap<string, number>;
  teams: ReadonlyMap<string, number>;
  users?: ReadonlyMap<string, number>;
  endUsers?: ReadonlyMap<string, number>;
  /** Team members' spend in their team, as `[memberKey, total, period end?]` (members with a budget there only). */
  members?: readonly SpendTotal[];
  /** When the budget period of each total ends, by `k:`/`t:`/`u:`/`e:` and the id (absent: no period). */
  periods?: ReadonlyMap<string, number>;
  /** Rows this write took across their soft_budget (the first time in their period). */
  crossings?: readonly SoftBudgetCrossing[];
  /** Per key token written with per-model amounts: its whole spend per model group after the write. */
  keyModels?: ReadonlyMap<string, Readonly<Record<string, number>>>;
  /** Key tokens the write found no row for (deleted, or renamed by a regenerate): their amounts were not added. */
  missingKeys?: readonly string[];
}

/** A row whose spend reached its soft_budget with this write. */
export interface SoftBudgetCrossing {
  readonly kind: 'key' | 'team' | 'user' | 'end_user';
  readonly id: string;
  readonly spend: number;
  readonly softBudget: number;
}

const CROSSING_KIND: Readonly<Record<SpendKind, SoftBudgetCrossing['kind']>> = {
  k: 'key',
  t: 'team',
  u: 'user',
  e: 'end_user',
};

/** The spend statement's answer rows as totals; no batch row (`b`): the batch had been applied before. */
export function spendResultOf(
  rows: readonly SpendRowAnswer[],
  keyModels: ReadonlyMap<string, ReadonlyMap<string, number>>,
): SpendResult {
  if (!rows.some((r) => r.kind === 'b')) return { applied: false, keys: new Map(), teams: new Map() };
  const totals = {
    k: new Map<string, number>(),
    t: new Map<string, number>(),
    u: new Map<string, number>(),
    e: new Map<string, number>(),
  };
  const periods = new Map<string, number>();
  const crossings: SoftBudgetCrossing[] = [];
  const models = new Map<string, Readonly<Record<string, number>>>();
  const missing: string[] = [];
  const members: SpendTotal[] = [];
  for (const r of rows) {
    if (r.kind === 'b') continue;
    if (r.kind === 'tm') {
      const key = memberKeyOf(r.id);
      members.push(
        r.reset_at !== null ? [key, Number(r.spend), new Date(r.reset_at).getTime()] : [key, Number(r.spend)],
      );
      continue;
    }
    if (r.kind === 'm') {
      missing.push(r.id);
      continue;
    }
    if (r.kind === 'k' && keyModels.has(r.id) && r.models) models.set(r.id, r.models);
    const spend = Number(r.spend);
    totals[r.kind].set(r.id, spend);
    if (r.reset_at !== null) periods.set(`${r.kind}:${r.id}`, new Date(r.reset_at).getTime());
    if (r.crossed) crossings.push({ kind: CROSSING_KIND[r.kind], id: r.id, spend, softBudget: Number(r.soft) });
  }
  return {
    applied: true,
    keys: totals.k,
    teams: totals.t,
    users: totals.u,
    endUsers: totals.e,
    periods,
    crossings,
    keyModels: models,
    missingKeys: missing,
    members,
  };
}

/** The database's JSON text of [team, user] as memberKey writes it (spacing may differ). */
function memberKeyOf(id: string): string {
  return JSON.stringify(JSON.parse(id));
}
