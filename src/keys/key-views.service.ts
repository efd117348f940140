import { Injectable } from '@nestjs/common';
import { BudgetsRepository } from './budgets/budgets.repository';
import { toKeyView, type KeyView } from './key-view';
import type { KeyRow } from './key-row';
import { SpendWriter } from './spend/spend-writer.service';

/**
 * Keys as every management answer shows them (key-view.ts): with the spend this instance has not written yet, and
 * the budget each takes joined as `litellm_budget_table` (one read for all of them, none when no key has a budget).
 */
@Injectable()
export class KeyViews {
  constructor(
    private readonly spend: SpendWriter,
    private readonly budgets: BudgetsRepository,
  ) {}

  async of(rows: readonly KeyRow[]): Promise<KeyView[]> {
    const ids = [...new Set(rows.flatMap((r) => (r.budgetId !== null ? [r.budgetId] : [])))];
    const found = ids.length > 0 ? await this.budgets.findMany(ids) : [];
    const byId = new Map(found.map((b) => [b.budgetId, b]));
    return rows.map((r) => toKeyView(r, this.spend.unflushed(r.token), byId));
  }

  async one(row: KeyRow): Promise<KeyView> {
    return (await this.of([row]))[0];
  }
}
