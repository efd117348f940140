import type { Logger } from 'pino';
import { spendTotals } from '../cache/key-spend-sync';
import type { KeyEvent, SpendTotal } from '../invalidation/key-events';
import type { FlushResult, SpendWriter } from '../spend/spend-writer.service';
import type { LimitedObject } from './limited-object';
import type { MemberMirror } from './member-mirror';
import type { ObjectKind } from './object-kind';
import type { SoftBudgetCrossings } from './soft-budget-crossings';

/**
 * The spend of held teams, users and end users, kept current from the database totals: those our own writes answer
 * and those other instances tell (key-spend-sync.ts sends ours).
 */
export class ObjectSpendSync {
  constructor(
    private readonly maps: Readonly<Record<ObjectKind, Map<string, LimitedObject>>>,
    private readonly spend: SpendWriter,
    private readonly crossings: SoftBudgetCrossings,
    private readonly log: Logger,
    private readonly members: MemberMirror,
  ) {}

  /** Another instance's totals. */
  onSpend(e: Extract<KeyEvent, { t: 'spend' }>): void {
    this.adopt('team', e.p);
    this.adopt('user', e.u ?? []);
    this.adopt('end_user', e.e ?? []);
    if (e.tm) this.members.adopt(e.tm);
  }

  /**
   * Our own spend write: adopt its totals, and log the soft budgets it crossed. The database marks a crossing
   * once per period (only the write that crossed it reports it), so this is one warning per object and period,
   * however many instances write.
   */
  afterFlush(r: FlushResult): void {
    this.adopt('team', spendTotals(r, 't:', r.teams));
    this.adopt('user', spendTotals(r, 'u:', r.users));
    this.adopt('end_user', spendTotals(r, 'e:', r.endUsers));
    if (r.members) this.members.adopt(r.members);
    for (const c of r.crossings ?? []) {
      this.crossings.crossed(c.kind, c.id);
      this.log.warn(
        { [c.kind === 'key' ? 'key_token' : `${c.kind}_id`]: c.id, spend: c.spend, soft_budget: c.softBudget },
        `soft_budget crossed by ${c.kind === 'end_user' ? 'end user' : c.kind} ${c.id}: spend ${c.spend} of soft_budget ${c.softBudget} (calls are not refused)`,
      );
    }
  }

  /** Database totals after a spend write (ours or another instance's), with the end of their period if any. */
  private adopt(kind: ObjectKind, totals: Iterable<SpendTotal>): void {
    const map = this.maps[kind];
    for (const [id, total, resetAt] of totals) {
      const o = map.get(id);
      if (o) o.adopt(total, resetAt ?? Infinity, this.spend.unflushedOf(kind, id));
    }
  }
}
