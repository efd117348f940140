import type { Caller } from '../../src/auth/caller';
import { CALL_ACCOUNTING, type Admission, type CallAccounting, type CallReport } from '../../src/proxy/call-accounting';
import type { InProcessGateway } from './gateway';

/** What the proxy told the keys accounting, for assertions. */
export interface AccountingRecord {
  readonly admits: { caller: Caller | undefined; modelGroup: string }[];
  readonly reports: (CallReport | null)[];
  /** Replaces the admission decision (default: admit). May throw a GatewayError or return a promise. */
  admit?: (caller: Caller, modelGroup: string) => void | Promise<void>;
  /** What `allowedModels` answers (default null: every group). */
  allowed: readonly string[] | null;
  restore(): void;
}

/**
 * Puts a recorder in place of the running app's CALL_ACCOUNTING (the same instance the proxy holds), to check
 * the proxy's side of the seam: admit before forwarding, `done` exactly once with tokens, cost and latency.
 */
export function recordAccounting(gw: InProcessGateway): AccountingRecord {
  const target = gw.app.get<CallAccounting>(CALL_ACCOUNTING) as CallAccounting & Record<string, unknown>;
  const original = { admit: target.admit, allowedModels: target.allowedModels };
  const rec: AccountingRecord = {
    admits: [],
    reports: [],
    allowed: null,
    restore: () => Object.assign(target, original),
  };
  const admission = (): Admission => ({ models: null, done: (r) => rec.reports.push(r) });
  Object.assign(target, {
    admit: (caller: Caller, modelGroup: string): Admission | Promise<Admission> => {
      rec.admits.push({ caller, modelGroup });
      const decided = rec.admit?.(caller, modelGroup);
      return decided instanceof Promise ? decided.then(admission) : admission();
    },
    allowedModels: () => rec.allowed,
  });
  return rec;
}
