/**
 * Limits of a team (a team JWT's team claim, or a key's `team_id`), shared by all its keys and JWT callers, on top
 * of each key's own limits. Spend is always counted per team (table `team_spend`). AccountingService enforces the
 * limits of the teams TEAM_LIMITS lists; the module that stores teams provides it (no provider: no team limits).
 */
export interface TeamLimits {
  readonly maxBudget: number | null;
  readonly rpmLimit: number | null;
  readonly tpmLimit: number | null;
  readonly maxParallelRequests: number | null;
  readonly hasRateLimits: boolean;
}

/** Nest token: `ReadonlyMap<teamId, TeamLimits>`, read at start. */
export const TEAM_LIMITS = Symbol('TEAM_LIMITS');

export function teamLimits(l: {
  max_budget?: number | null;
  rpm_limit?: number | null;
  tpm_limit?: number | null;
  max_parallel_requests?: number | null;
}): TeamLimits {
  const rpmLimit = l.rpm_limit ?? null;
  const tpmLimit = l.tpm_limit ?? null;
  const maxParallelRequests = l.max_parallel_requests ?? null;
  return {
    maxBudget: l.max_budget ?? null,
    rpmLimit,
    tpmLimit,
    maxParallelRequests,
    hasRateLimits: rpmLimit !== null || tpmLimit !== null || maxParallelRequests !== null,
  };
}
