-- A virtual key acts with its user's user_role, which the in-memory mirror of users now holds: a change of the role
-- alone enters the users' change log too, so an instance that missed the broadcast still learns it.
DROP TRIGGER "users_change_log_update" ON "users";

CREATE TRIGGER "users_change_log_update" BEFORE UPDATE ON "users"
  FOR EACH ROW
  WHEN (ROW(NEW.user_id, NEW.user_alias, NEW.user_role, NEW.models, NEW.max_budget, NEW.soft_budget,
            NEW.budget_duration, NEW.budget_reset_at, NEW.rpm_limit, NEW.tpm_limit, NEW.max_parallel_requests,
            NEW.blocked)
        IS DISTINCT FROM
        ROW(OLD.user_id, OLD.user_alias, OLD.user_role, OLD.models, OLD.max_budget, OLD.soft_budget,
            OLD.budget_duration, OLD.budget_reset_at, OLD.rpm_limit, OLD.tpm_limit, OLD.max_parallel_requests,
            OLD.blocked))
  EXECUTE FUNCTION llmgw_object_changed('user', 'user_id');
