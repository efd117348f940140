import type { KeyEventsService } from '../invalidation/key-events.service';
import type { KeyEvent, SpendTotal } from '../invalidation/key-events';
import type { FlushResult, SpendWriter } from '../spend/spend-writer.service';
import { keyScopeId } from '../limits/limiter';
import type { KeyTable } from './key-table';

/**
 * The spend of held keys, kept current from the database totals: those our own writes answer (told to the other
 * instances, with the totals of teams, users and end users), and those other instances tell. Within a period spend
 * only grows, so a total is never lowered: another instance's newer total may have arrived before an answer.
 */
export class KeySpendSync {
  constructor(
    private readonly table: KeyTable,
    private readonly spend: SpendWriter,
    private readonly events: KeyEventsService,
  ) {}

  /** Another instance's totals. */
  onSpend(e: Extract<KeyEvent, { t: 'spend' }>): void {
    for (const [token, dbSpend, resetAt] of e.k) this.adopt(token, dbSpend, resetAt ?? Infinity);
    for (const [token, totals] of e.m ?? []) this.adoptModels(token, totals);
  }

  /** Our own write answered the database totals: adopt the keys', and tell the other instances all of them. */
  afterFlush(r: FlushResult): void {
    for (const [token, dbSpend] of r.keys) this.adopt(token, dbSpend, r.periods?.get(keyScopeId(token)) ?? Infinity);
    for (const [token, totals] of r.keyModels ?? []) this.adoptModels(token, totals);
    const totals = (prefix: string, m: ReadonlyMap<string, number> | undefined) => spendTotals(r, prefix, m);
    const event = {
      t: 'spend' as const,
      k: totals('k:', r.keys),
      p: totals('t:', r.teams),
      u: totals('u:', r.users),
      e: totals('e:', r.endUsers),
      ...(r.keyModels && r.keyModels.size > 0 ? { m: [...r.keyModels] } : {}),
      ...(r.members && r.members.length > 0 ? { tm: r.members } : {}),
    };
    if (event.k.length + event.p.length + event.u.length + event.e.length + (event.tm?.length ?? 0) > 0)
      void this.events.publish(event);
  }

  private adopt(token: string, dbSpend: number, resetAt: number): void {
    this.table.learning(token)?.adopt(dbSpend, resetAt, this.spend.unflushed(token));
  }

  private adoptModels(token: string, totals: Readonly<Record<string, number>>): void {
    this.table.learning(token)?.adoptModels(totals, (g) => this.spend.unflushedModel(token, g));
  }
}

/** A write's totals of one kind (`prefix`: its scope prefix in `periods`), each with the end of its period if any. */
export function spendTotals(r: FlushResult, prefix: string, m: ReadonlyMap<string, number> | undefined): SpendTotal[] {
  return [...(m ?? [])].map(([id, total]) => {
    const end = r.periods?.get(prefix + id);
    return end === undefined ? [id, total] : [id, total, end];
  });
}
