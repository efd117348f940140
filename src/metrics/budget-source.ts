/** A team's budget as the metrics show it (`litellm_remaining_team_budget_metric`, `litellm_team_max_budget_metric`). */
export interface TeamBudget {
  readonly alias: string | null;
  readonly maxBudget: number | null;
  readonly spend: number;
}

/** Nest token: where the team and user budgets come from (the module that keeps them provides it; none: not shown). */
export const TEAM_BUDGETS = Symbol('TEAM_BUDGETS');

export interface TeamBudgets {
  /** From memory only: called for each team seen in calls, at every scrape. */
  budgetOf(teamId: string): TeamBudget | undefined;
  /** A team's alias (null: none, or no such team), for the call metrics' labels: from memory, on every call. */
  teamAlias(teamId: string): string | null;
  /** The same for a user (`litellm_remaining_user_budget_metric`, `litellm_user_max_budget_metric`). */
  userBudgetOf(userId: string): TeamBudget | undefined;
}
