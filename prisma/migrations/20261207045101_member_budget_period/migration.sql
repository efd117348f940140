-- AlterTable
ALTER TABLE "team_memberships" ADD COLUMN     "budget_reset_at" TIMESTAMPTZ(3);

-- Memberships whose budget (their own, or their team's team_member_budget) has a budget_duration follow its schedule.
UPDATE "team_memberships" AS m SET "budget_reset_at" = CASE WHEN b.budget_reset_at <= now()
    THEN llmgw_next_reset(b.budget_reset_at, b.budget_duration, now()) ELSE b.budget_reset_at END
  FROM "teams" AS t, "budgets" AS b
  WHERE t.team_id = m.team_id AND b.budget_id = COALESCE(m.budget_id, t.metadata->>'team_member_budget_id')
    AND b.budget_duration IS NOT NULL;
