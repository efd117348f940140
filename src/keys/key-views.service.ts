import { Injectable } from '@nestjs/common';
import { BudgetsRepository } from './budgets/budgets.repository';
import { toKeyView, type KeyView } from './key-view';
import type { KeyRow } from './key-row';
import { KeysRepository } from './keys.repository';
import { SpendWriter } from './spend/spend-writer.service';

/**
 * Keys as every management answer shows them (key-view.ts): in their current budget period, with the spend this
 * instance has not written yet, and the budget each takes joined as `litellm_budget_table` (one read for all of them,
 * none when no key has a budget).
 */
@Injectable()
export class KeyViews {
  constructor(
    private readonly spend: SpendWriter,
    private readonly budgets: BudgetsRepository,
    private readonly keys: KeysRepository,
  ) {}

  async of(read: readonly KeyRow[]): Promise<KeyView[]> {
    const rows = await this.current(read);
    const ids = [...new Set(rows.flatMap((r) => (r.budgetId !== null ? [r.budgetId] : [])))];
    const found = ids.length > 0 ? await this.budgets.findMany(ids) : [];
    const byId = new Map(found.map((b) => [b.budgetId, b]));
    return rows.map((r) => toKeyView(r, this.spend.unflushed(r.token), byId));
  }

  async one(row: KeyRow): Promise<KeyView> {
    return (await this.of([row]))[0];
  }

  /** Keys whose budget period is over are reset first, as /key/info resets its key, so that every answer agrees. */
  private async current(rows: readonly KeyRow[]): Promise<readonly KeyRow[]> {
    const now = Date.now();
    const due = rows.filter((r) => r.budgetDuration !== null && (r.budgetResetAt?.getTime() ?? Infinity) <= now);
    if (due.length === 0) return rows;
    const reset = await this.spend.readConsistent(() => this.keys.resetDuePeriods(due.map((r) => r.token)));
    const byToken = new Map(reset.map((r) => [r.token, r]));
    return rows.map((r) => byToken.get(r.token) ?? r);
  }
}
