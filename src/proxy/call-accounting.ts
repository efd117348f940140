import type { Caller } from '../auth/caller';
import type { Reservation } from './reservation';

/** What the proxy reports after a model call, for spend and token-rate accounting. */
export interface CallReport {
  readonly modelGroup: string;
  readonly deploymentId: string;
  readonly promptTokens: number;
  readonly completionTokens: number;
  /** Cost in USD: tokens x the deployment's model_info prices (0 when none). */
  readonly cost: number;
  readonly latencyMs: number;
  /** False when the call failed (no usage to count). */
  readonly ok: boolean;
}

/**
 * Where the request holds its call's report once the call is done (declared on every request, null until then):
 * the access line reads it. The report object exists anyway; keeping it costs one property write.
 */
export const CALL_REPORT = Symbol('callReport');

declare module 'fastify' {
  interface FastifyRequest {
    [CALL_REPORT]: CallReport | null;
  }
}

/** A call admitted by the accounting: `done` must be called exactly once when the call ends (success or not). */
export interface Admission {
  /** The model groups the caller may use (a virtual key's `models`), read at admission; null: any. */
  readonly models: ReadonlySet<string> | null;
  /** The key's `tags`, recorded on the call's report. */
  readonly tags?: readonly string[] | null;
  /**
   * The team and end user the call is charged to (a JWT's team chosen among its teams, its end-user claim): its
   * spend log row names them. Absent: none.
   */
  readonly owners?: { readonly teamId: string | null; readonly endUserId: string | null };
  /** The virtual key of the call, as cached (no copy): its spend and budget go out in LiteLLM's answer headers. */
  readonly key?: KeyBudgetView | null;
  done(report: CallReport | null): void;
}

/** What LiteLLM's `x-litellm-key-spend` and `x-litellm-key-max-budget` answer headers show of a virtual key. */
export interface KeyBudgetView {
  spendAt(nowMs: number): number;
  readonly maxBudget: number | null;
}

/**
 * Nest token: the keys module's enforcement and accounting, as the proxy sees it. The proxy calls `admit` before
 * forwarding (it throws a GatewayError to refuse: 401 model not allowed, 400 budget_exceeded, 429 rate limits),
 * and `done` after. No database round-trip on this path.
 */
export const CALL_ACCOUNTING = Symbol('CALL_ACCOUNTING');

export interface CallAccounting {
  /**
   * `endUserId`: the request's `user` field (LiteLLM's end user, or "customer"), when it has one. `worst`: the call's
   * worst case, held against its budgets and tpm limits until `done`.
   */
  admit(caller: Caller, modelGroup: string, endUserId?: string, worst?: Reservation): Admission | Promise<Admission>;
  /** Model groups this caller may use (for `GET /models`); null = every configured group. */
  allowedModels(caller: Caller): readonly string[] | null;
  /** The model group a virtual key's `aliases` map `model` to (asked only for names no group has). */
  aliasOf(caller: Caller, model: string): string | undefined;
}
