-- AlterTable
ALTER TABLE "end_users" ADD COLUMN     "change_seq" BIGINT NOT NULL DEFAULT 0;

-- AlterTable
ALTER TABLE "teams" ADD COLUMN     "change_seq" BIGINT NOT NULL DEFAULT 0;

-- AlterTable
ALTER TABLE "users" ADD COLUMN     "change_seq" BIGINT NOT NULL DEFAULT 0;

-- CreateTable
CREATE TABLE "access_object_tombstones" (
    "change_seq" BIGINT NOT NULL,
    "kind" TEXT NOT NULL,
    "id" TEXT NOT NULL,
    "removed_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "access_object_tombstones_pkey" PRIMARY KEY ("change_seq")
);

-- CreateIndex
CREATE INDEX "end_users_change_seq_idx" ON "end_users"("change_seq");

-- CreateIndex
CREATE INDEX "teams_change_seq_idx" ON "teams"("change_seq");

-- CreateIndex
CREATE INDEX "users_change_seq_idx" ON "users"("change_seq");

-- The change log the teams, users and end users mirror polls, as virtual_keys has one: one sequence orders every
-- change; a row's change_seq is raised when a column the mirror holds changes (the UPDATE trigger's WHEN clause: the
-- spend batch's updates of spend, soft_budget_alerted_at and updated_at never enter the function), and a row that
-- stops existing (or changes id) leaves a tombstone. A column added that the mirror holds goes into both ROW(...)
-- lists of its table. The trigger's arguments: the kind, and the id column.
CREATE SEQUENCE "llmgw_object_change_seq";
UPDATE "teams" SET "change_seq" = nextval('llmgw_object_change_seq');
UPDATE "users" SET "change_seq" = nextval('llmgw_object_change_seq');
UPDATE "end_users" SET "change_seq" = nextval('llmgw_object_change_seq');

CREATE FUNCTION llmgw_object_changed() RETURNS TRIGGER LANGUAGE plpgsql AS $$
DECLARE
  old_id TEXT;
BEGIN
  IF TG_OP <> 'INSERT' THEN
    old_id := to_jsonb(OLD) ->> TG_ARGV[1];
    IF TG_OP = 'DELETE' OR old_id IS DISTINCT FROM to_jsonb(NEW) ->> TG_ARGV[1] THEN
      INSERT INTO access_object_tombstones (change_seq, kind, id)
        VALUES (nextval('llmgw_object_change_seq'), TG_ARGV[0], old_id);
      IF TG_OP = 'DELETE' THEN
        RETURN OLD;
      END IF;
    END IF;
  END IF;
  NEW.change_seq := nextval('llmgw_object_change_seq');
  RETURN NEW;
END
$$;

CREATE TRIGGER "teams_change_log" BEFORE INSERT OR DELETE ON "teams"
  FOR EACH ROW EXECUTE FUNCTION llmgw_object_changed('team', 'team_id');

CREATE TRIGGER "teams_change_log_update" BEFORE UPDATE ON "teams"
  FOR EACH ROW
  WHEN (ROW(NEW.team_id, NEW.team_alias, NEW.models, NEW.max_budget, NEW.soft_budget, NEW.budget_duration,
            NEW.budget_reset_at, NEW.rpm_limit, NEW.tpm_limit, NEW.max_parallel_requests, NEW.blocked)
        IS DISTINCT FROM
        ROW(OLD.team_id, OLD.team_alias, OLD.models, OLD.max_budget, OLD.soft_budget, OLD.budget_duration,
            OLD.budget_reset_at, OLD.rpm_limit, OLD.tpm_limit, OLD.max_parallel_requests, OLD.blocked))
  EXECUTE FUNCTION llmgw_object_changed('team', 'team_id');

CREATE TRIGGER "users_change_log" BEFORE INSERT OR DELETE ON "users"
  FOR EACH ROW EXECUTE FUNCTION llmgw_object_changed('user', 'user_id');

CREATE TRIGGER "users_change_log_update" BEFORE UPDATE ON "users"
  FOR EACH ROW
  WHEN (ROW(NEW.user_id, NEW.user_alias, NEW.models, NEW.max_budget, NEW.soft_budget, NEW.budget_duration,
            NEW.budget_reset_at, NEW.rpm_limit, NEW.tpm_limit, NEW.max_parallel_requests, NEW.blocked)
        IS DISTINCT FROM
        ROW(OLD.user_id, OLD.user_alias, OLD.models, OLD.max_budget, OLD.soft_budget, OLD.budget_duration,
            OLD.budget_reset_at, OLD.rpm_limit, OLD.tpm_limit, OLD.max_parallel_requests, OLD.blocked))
  EXECUTE FUNCTION llmgw_object_changed('user', 'user_id');

CREATE TRIGGER "end_users_change_log" BEFORE INSERT OR DELETE ON "end_users"
  FOR EACH ROW EXECUTE FUNCTION llmgw_object_changed('end_user', 'user_id');

CREATE TRIGGER "end_users_change_log_update" BEFORE UPDATE ON "end_users"
  FOR EACH ROW
  WHEN (ROW(NEW.user_id, NEW.alias, NEW.models, NEW.max_budget, NEW.soft_budget, NEW.budget_duration,
            NEW.budget_reset_at, NEW.rpm_limit, NEW.tpm_limit, NEW.max_parallel_requests, NEW.blocked)
        IS DISTINCT FROM
        ROW(OLD.user_id, OLD.alias, OLD.models, OLD.max_budget, OLD.soft_budget, OLD.budget_duration,
            OLD.budget_reset_at, OLD.rpm_limit, OLD.tpm_limit, OLD.max_parallel_requests, OLD.blocked))
  EXECUTE FUNCTION llmgw_object_changed('end_user', 'user_id');
