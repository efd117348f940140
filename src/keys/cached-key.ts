import type { AuthResult } from '../auth/auth-result';
import type { BudgetOwner } from '../common/errors/gateway-error';
import type { KeySource } from './cache/key-store';
import { memberKey } from './access/team-members';
import { keyScopeId, type LimitSlot } from './limits/limiter';
import type { KeyRecord } from './key-record';
import { PeriodSpend, resetAtMsOf } from './budget/period-spend';
import { keyExtras, type KeyExtras } from './key-extras';

/** A key's limit scope id, and the limiter's slot for it: one object, made once a key is limited. */
class KeyScope implements LimitSlot {
  limitState: object | undefined = undefined;
  constructor(readonly id: string) {}
}

/** LiteLLM's special `models` entry meaning "every configured model group". */
export const ALL_PROXY_MODELS = 'all-proxy-models';

/** Shared by every key without models, routes or metadata: a million cached keys hold one of each, not a million. */
const NO_STRINGS: readonly string[] = Object.freeze([]);
const NO_METADATA: Readonly<Record<string, unknown>> = Object.freeze({});
const NO_MODEL_SPEND = (): number => 0;

/**
 * A key as the hot path holds it: the stored row, plus what admission needs precomputed (the model set, whether
 * any limit applies), and its spend in the current budget period (PeriodSpend).
 */
export class CachedKey extends PeriodSpend implements KeyRecord {
  readonly token: string;
  readonly keyName: string;
  readonly keyAlias: string | null;
  readonly models: readonly string[];
  readonly allowedRoutes: readonly string[];
  readonly expires: Date | null;
  readonly maxBudget: number | null;
  readonly rpmLimit: number | null;
  readonly tpmLimit: number | null;
  readonly maxParallelRequests: number | null;
  readonly teamId: string | null;
  readonly userId: string | null;
  readonly blocked: boolean;
  readonly metadata: Readonly<Record<string, unknown>>;
  /** null = every model group. */
  readonly modelSet: ReadonlySet<string> | null;
  /** True when rpm, tpm or parallel limits apply: only then does admission consult the limiter. */
  readonly hasRateLimits: boolean;
  /** LiteLLM fields with effect, from `extra` (key-extras.ts). */
  readonly extras: KeyExtras;
  /**
   * Spend per model group, for the groups of its model_max_budget only (database value plus unflushed here); like
   * `spend`, it only grows.
   */
  readonly modelSpend: Map<string, number> | null;
  /** The row's place in the key change log (key-store.ts): a copy read later from the log replaces this one. */
  readonly seq: number;
  /** `scopeId` and the limiter's slot for it, made on first use. */
  private scope: KeyScope | undefined = undefined;
  /** `memberKey`, made on first use (null: the key lacks a team or a user). */
  private member: string | null | undefined = undefined;
  /** How a budget refusal names the key (key-admission.ts), made on its first limited call. */
  budgetOwner: BudgetOwner | undefined = undefined;
  authResult: AuthResult | undefined = undefined;
  authUsers = -1;

  constructor(row: KeySource, unflushedSpend: number, unflushedModel: (group: string) => number = NO_MODEL_SPEND) {
    super(row.spend + unflushedSpend, resetAtMsOf(row.budgetResetAt), row.budgetDuration ?? null);
    this.token = row.token;
    this.keyName = row.keyName;
    this.keyAlias = row.keyAlias;
    const models = row.models ?? NO_STRINGS;
    this.models = models.length === 0 ? NO_STRINGS : Object.freeze([...models]);
    const routes = row.allowedRoutes ?? NO_STRINGS;
    this.allowedRoutes = routes.length === 0 ? NO_STRINGS : Object.freeze([...routes]);
    this.expires = row.expires;
    this.maxBudget = row.maxBudget;
    this.rpmLimit = row.rpmLimit;
    this.tpmLimit = row.tpmLimit;
    this.maxParallelRequests = row.maxParallelRequests;
    this.teamId = row.teamId;
    this.userId = row.userId;
    this.blocked = row.blocked;
    this.metadata = frozenMetadata(row.metadata);
    this.modelSet = models.length === 0 || models.includes(ALL_PROXY_MODELS) ? null : new Set(models);
    this.hasRateLimits = row.rpmLimit !== null || row.tpmLimit !== null || row.maxParallelRequests !== null;
    this.extras = keyExtras(row.extra);
    const budgets = this.extras.modelMaxBudget;
    if (budgets) {
      const stored = (row.modelSpend ?? {}) as Record<string, unknown>;
      this.modelSpend = new Map();
      for (const g of budgets.keys())
        this.modelSpend.set(g, (typeof stored[g] === 'number' ? stored[g] : 0) + unflushedModel(g));
    } else this.modelSpend = null;
    this.seq = Number(row.changeSeq ?? 0);
  }

  /**
   * The key's limit scope (`k:<hash>`): made once per key, since a string built per call is hashed again by every
   * map it is looked up in.
   */
  get scopeId(): string {
    return (this.scope ??= new KeyScope(keyScopeId(this.token))).id;
  }

  /** Where the in-process limiter keeps its state for the key's scope (made with `scopeId`). */
  get limitSlot(): LimitSlot {
    return (this.scope ??= new KeyScope(keyScopeId(this.token)));
  }

  /** The key's team membership (its team and user) as spend batches name it; null without both. */
  get memberKey(): string | null {
    if (this.member === undefined)
      this.member = this.teamId !== null && this.userId !== null ? memberKey(this.teamId, this.userId) : null;
    return this.member;
  }

  /** Database totals per model group (a flush's answer, or another instance's): only ever raise what is held. */
  adoptModels(totals: Readonly<Record<string, number>>, unflushed: (group: string) => number): void {
    if (!this.modelSpend) return;
    for (const [g, held] of this.modelSpend) {
      const total = totals[g];
      if (typeof total === 'number') this.modelSpend.set(g, Math.max(held, total + unflushed(g)));
    }
  }
}

function frozenMetadata(m: unknown): Readonly<Record<string, unknown>> {
  if (!m || typeof m !== 'object') return NO_METADATA;
  for (const _ in m) return Object.freeze({ ...(m as Record<string, unknown>) });
  return NO_METADATA;
}
