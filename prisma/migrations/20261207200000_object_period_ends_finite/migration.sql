-- Teams, users, end users, budgets and team memberships hold only finite period ends and alert times: PostgreSQL's
-- `infinity` and `-infinity` (written by hand or by another tool) cannot be read as a date by the client, which made
-- their info and list routes fail. Such values already present become what they stand for: an endless period is no
-- period end (NULL), one ended at -infinity ends now (its next call starts a new period); an alert time is cleared.
-- Afterwards a write of either is refused by the database, naming the constraint.
UPDATE "teams" SET "budget_reset_at" = CASE WHEN "budget_reset_at" > now() THEN NULL ELSE now() END
  WHERE NOT isfinite("budget_reset_at");
UPDATE "teams" SET "soft_budget_alerted_at" = NULL WHERE NOT isfinite("soft_budget_alerted_at");
UPDATE "users" SET "budget_reset_at" = CASE WHEN "budget_reset_at" > now() THEN NULL ELSE now() END
  WHERE NOT isfinite("budget_reset_at");
UPDATE "users" SET "soft_budget_alerted_at" = NULL WHERE NOT isfinite("soft_budget_alerted_at");
UPDATE "end_users" SET "budget_reset_at" = CASE WHEN "budget_reset_at" > now() THEN NULL ELSE now() END
  WHERE NOT isfinite("budget_reset_at");
UPDATE "end_users" SET "soft_budget_alerted_at" = NULL WHERE NOT isfinite("soft_budget_alerted_at");
UPDATE "budgets" SET "budget_reset_at" = CASE WHEN "budget_reset_at" > now() THEN NULL ELSE now() END
  WHERE NOT isfinite("budget_reset_at");
UPDATE "team_memberships" SET "budget_reset_at" = CASE WHEN "budget_reset_at" > now() THEN NULL ELSE now() END
  WHERE NOT isfinite("budget_reset_at");

ALTER TABLE "teams" ADD CONSTRAINT "teams_budget_reset_at_finite" CHECK (isfinite("budget_reset_at")),
  ADD CONSTRAINT "teams_soft_budget_alerted_at_finite" CHECK (isfinite("soft_budget_alerted_at"));
ALTER TABLE "users" ADD CONSTRAINT "users_budget_reset_at_finite" CHECK (isfinite("budget_reset_at")),
  ADD CONSTRAINT "users_soft_budget_alerted_at_finite" CHECK (isfinite("soft_budget_alerted_at"));
ALTER TABLE "end_users" ADD CONSTRAINT "end_users_budget_reset_at_finite" CHECK (isfinite("budget_reset_at")),
  ADD CONSTRAINT "end_users_soft_budget_alerted_at_finite" CHECK (isfinite("soft_budget_alerted_at"));
ALTER TABLE "budgets" ADD CONSTRAINT "budgets_budget_reset_at_finite" CHECK (isfinite("budget_reset_at"));
ALTER TABLE "team_memberships"
  ADD CONSTRAINT "team_memberships_budget_reset_at_finite" CHECK (isfinite("budget_reset_at"));
