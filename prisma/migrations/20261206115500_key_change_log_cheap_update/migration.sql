-- The change-log trigger compared whole-row JSON on every UPDATE, the spend batch's included. The UPDATE trigger now
-- carries a WHEN clause over the columns the key cache holds, so a spend-only update never enters the function and
-- builds nothing. A column added to virtual_keys that the cache holds must be added to both ROW(...) lists.
DROP TRIGGER "virtual_keys_change_log" ON "virtual_keys";

CREATE OR REPLACE FUNCTION llmgw_key_changed() RETURNS TRIGGER LANGUAGE plpgsql AS $$
BEGIN
  IF TG_OP = 'DELETE' OR (TG_OP = 'UPDATE' AND NEW.token <> OLD.token) THEN
    INSERT INTO virtual_key_tombstones (change_seq, token) VALUES (nextval('llmgw_key_change_seq'), OLD.token);
    IF TG_OP = 'DELETE' THEN
      RETURN OLD;
    END IF;
  END IF;
  NEW.change_seq := nextval('llmgw_key_change_seq');
  RETURN NEW;
END
$$;

CREATE TRIGGER "virtual_keys_change_log" BEFORE INSERT OR DELETE ON "virtual_keys"
  FOR EACH ROW EXECUTE FUNCTION llmgw_key_changed();

CREATE TRIGGER "virtual_keys_change_log_update" BEFORE UPDATE ON "virtual_keys"
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
  EXECUTE FUNCTION llmgw_key_changed();
