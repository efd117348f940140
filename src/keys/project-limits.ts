/**
 * Limits for a project (a project JWT's team claim, or a key's `team_id`), on top of each key's own limits.
 * Spend is always counted per project (table `team_spend`); these limits apply only to projects listed here.
 */
export interface ProjectLimits {
  readonly maxBudget: number | null;
  readonly rpmLimit: number | null;
  readonly tpmLimit: number | null;
  readonly maxParallelRequests: number | null;
  readonly hasRateLimits: boolean;
}

/** Nest token: `ReadonlyMap<projectId, ProjectLimits>`, fixed at start. */
export const PROJECT_LIMITS = Symbol('PROJECT_LIMITS');

export function projectLimits(l: {
  max_budget?: number | null;
  rpm_limit?: number | null;
  tpm_limit?: number | null;
  max_parallel_requests?: number | null;
}): ProjectLimits {
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
