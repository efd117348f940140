-- AlterTable
ALTER TABLE "virtual_keys" ADD COLUMN     "budget_id" TEXT,
ADD COLUMN     "budget_limits" TEXT[] DEFAULT ARRAY[]::TEXT[];

-- CreateIndex
CREATE INDEX "virtual_keys_budget_id_idx" ON "virtual_keys"("budget_id");

-- Keys given a budget_id before it had effect kept it in `extra`: it moves to its column, and such a key takes the
-- budget's limits where it sets none of its own (as later changes do, budgets.repository.ts applyToKeys).
UPDATE "virtual_keys" SET "budget_id" = "extra"->>'budget_id', "extra" = "extra" - 'budget_id'
  WHERE jsonb_typeof("extra"->'budget_id') = 'string';

UPDATE "virtual_keys" AS v SET "budget_limits" = array_remove(ARRAY[
    CASE WHEN v.max_budget IS NULL THEN 'max_budget' END,
    CASE WHEN v.soft_budget IS NULL THEN 'soft_budget' END,
    CASE WHEN v.rpm_limit IS NULL THEN 'rpm_limit' END,
    CASE WHEN v.tpm_limit IS NULL THEN 'tpm_limit' END,
    CASE WHEN v.max_parallel_requests IS NULL THEN 'max_parallel_requests' END,
    CASE WHEN v.budget_duration IS NULL THEN 'budget_duration' END], NULL),
  "max_budget" = COALESCE(v.max_budget, b.max_budget),
  "soft_budget" = COALESCE(v.soft_budget, b.soft_budget),
  "rpm_limit" = COALESCE(v.rpm_limit, b.rpm_limit),
  "tpm_limit" = COALESCE(v.tpm_limit, b.tpm_limit),
  "max_parallel_requests" = COALESCE(v.max_parallel_requests, b.max_parallel_requests),
  "budget_duration" = COALESCE(v.budget_duration, b.budget_duration),
  "budget_reset_at" = CASE WHEN v.budget_duration IS NULL THEN b.budget_reset_at ELSE v.budget_reset_at END
  FROM "budgets" AS b WHERE b.budget_id = v.budget_id;
