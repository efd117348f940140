-- The spend write updates every key used in the last second. A BEFORE UPDATE row trigger, whatever its WHEN clause,
-- makes PostgreSQL lock each row before updating it (a lock written to the row and to the WAL, then the update), and
-- the WHEN clause compared twenty-one columns of every row. The change log's update triggers now run AFTER the update,
-- only for updates that name a column the key cache holds: the spend write names budget_reset_at alone of those
-- (a period's end moves it), checked by a trigger of its own with one comparison. A changed row is given its place in
-- the change log by an update of change_seq, which names no such column and so fires neither trigger again.
-- A column added to virtual_keys that the cache holds must be added to the UPDATE OF list and to both ROW(...) lists.
DROP TRIGGER "virtual_keys_change_log_update" ON "virtual_keys";

CREATE FUNCTION llmgw_key_updated() RETURNS TRIGGER LANGUAGE plpgsql AS $$
BEGIN
  IF NEW.token <> OLD.token THEN
    INSERT INTO virtual_key_tombstones (change_seq, token) VALUES (nextval('llmgw_key_change_seq'), OLD.token);
  END IF;
  UPDATE virtual_keys SET change_seq = nextval('llmgw_key_change_seq') WHERE token = NEW.token;
  RETURN NULL;
END
$$;

CREATE TRIGGER "virtual_keys_change_log_update" AFTER UPDATE OF token, key_name, key_alias, models, allowed_routes,
    expires, max_budget, rpm_limit, tpm_limit, max_parallel_requests, metadata, team_id, user_id, created_by, blocked,
    blocked_by, extra, budget_duration, soft_budget, created_at ON "virtual_keys"
  FOR EACH ROW
  WHEN (ROW(NEW.token, NEW.key_name, NEW.key_alias, NEW.models, NEW.allowed_routes, NEW.expires, NEW.max_budget,
            NEW.rpm_limit, NEW.tpm_limit, NEW.max_parallel_requests, NEW.metadata, NEW.team_id, NEW.user_id,
            NEW.created_by, NEW.blocked, NEW.blocked_by, NEW.extra, NEW.budget_duration, NEW.budget_reset_at,
            NEW.soft_budget, NEW.created_at)
        IS DISTINCT FROM
        ROW(OLD.token, OLD.key_name, OLD.key_alias, OLD.models, OLD.allowed_routes, OLD.expires, OLD.max_budget,
            OLD.rpm_limit, OLD.tpm_limit, OLD.max_parallel_requests, OLD.metadata, OLD.team_id, OLD.user_id,
            OLD.created_by, OLD.blocked, OLD.blocked_by, OLD.extra, OLD.budget_duration, OLD.budget_reset_at,
            OLD.soft_budget, OLD.created_at))
  EXECUTE FUNCTION llmgw_key_updated();

-- A token's change is the trigger above's, so its tombstone is written once.
CREATE TRIGGER "virtual_keys_change_log_period" AFTER UPDATE OF budget_reset_at ON "virtual_keys"
  FOR EACH ROW
  WHEN (NEW.budget_reset_at IS DISTINCT FROM OLD.budget_reset_at AND NEW.token = OLD.token)
  EXECUTE FUNCTION llmgw_key_updated();
