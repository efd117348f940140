import { ALL_PROXY_MODELS } from '../cached-key';
import type { BudgetOwner } from '../../common/errors/gateway-error';
import { PeriodSpend, resetAtMsOf } from '../budget/period-spend';
import { KIND_LABEL, type ObjectKind } from './object-kind';
import type { TeamMembers } from './team-members';

/** The limit columns teams, users and end users share (their Prisma rows all have these). */
export interface LimitColumns {
  models: string[];
  spend: number;
  maxBudget: number | null;
  softBudget: number | null;
  budgetDuration: string | null;
  budgetResetAt: Date | null;
  softBudgetAlertedAt: Date | null;
  rpmLimit: number | null;
  tpmLimit: number | null;
  maxParallelRequests: number | null;
  blocked: boolean;
}

/**
 * A team, user or end user as admission holds it in memory: its limits, precomputed (the model set, whether any
 * rate limit applies), and its spend in the current budget period (PeriodSpend).
 */
export class LimitedObject extends PeriodSpend {
  readonly models: readonly string[];
  /** null: every model group. */
  readonly modelSet: ReadonlySet<string> | null;
  readonly maxBudget: number | null;
  readonly softBudget: number | null;
  readonly rpmLimit: number | null;
  readonly tpmLimit: number | null;
  readonly maxParallelRequests: number | null;
  readonly blocked: boolean;
  readonly hasRateLimits: boolean;
  /** Anything admission must look at: a block, a model list, a budget or a rate limit. */
  readonly enforced: boolean;
  /** The rate-limit scope id (`t:<id>`, `u:<id>`, `e:<id>`). */
  readonly scopeId: string;
  /** Its kind as messages name it ("team", "user", "end user"). */
  readonly label: string;
  /** Who is over budget in a refusal (LiteLLM: "Team=t1", "User=u1", "End User=e1"). */
  readonly budgetOwner: BudgetOwner;
  readonly alias: string | null;
  /** A user's `user_role` (null: none, or not a user): the role its virtual keys act with. */
  readonly userRole: string | null;
  /** The row's place in the change log (0: unknown): an older change read later does not replace it. */
  readonly seq: number;
  /** A team's member budgets (null: none, or not a team). */
  members: TeamMembers | null = null;
  /** No longer the held copy (read again, or removed): spend goes to the one held now, if any. */
  replaced = false;
  /** The in-process limiter's state for its scope (LimitSlot). */
  limitState: object | undefined = undefined;

  constructor(
    readonly kind: ObjectKind,
    readonly id: string,
    row: LimitColumns & { alias?: string | null; userRole?: string | null; changeSeq?: number },
    scopePrefix: string,
  ) {
    super(row.spend, resetAtMsOf(row.budgetResetAt), row.budgetDuration);
    this.alias = row.alias ?? null;
    this.userRole = row.userRole ?? null;
    this.seq = row.changeSeq ?? 0;
    this.models = Object.freeze([...row.models]);
    this.modelSet = row.models.length === 0 || row.models.includes(ALL_PROXY_MODELS) ? null : new Set(row.models);
    this.maxBudget = row.maxBudget;
    this.softBudget = row.softBudget;
    this.rpmLimit = row.rpmLimit;
    this.tpmLimit = row.tpmLimit;
    this.maxParallelRequests = row.maxParallelRequests;
    this.blocked = row.blocked;
    this.hasRateLimits = row.rpmLimit !== null || row.tpmLimit !== null || row.maxParallelRequests !== null;
    this.enforced = this.blocked || this.modelSet !== null || this.maxBudget !== null || this.hasRateLimits;
    this.scopeId = scopePrefix + id;
    this.label = KIND_LABEL[kind];
    this.budgetOwner = { kind, id };
  }

  /** Whether its models name the model group, or all of them (`all-proxy-models`): an empty list names none. */
  lists(modelGroup: string): boolean {
    return this.modelSet !== null ? this.modelSet.has(modelGroup) : this.models.length > 0;
  }
}
