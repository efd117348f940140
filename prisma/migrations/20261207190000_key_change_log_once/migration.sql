-- An update naming budget_reset_at and another column the key cache holds fired both change-log update triggers, and
-- each drew a number and updated the row: two changes for one. The one that fires second now finds the row's
-- change_seq no longer the statement's and leaves it, so an update is one change whichever triggers fire.
CREATE OR REPLACE FUNCTION llmgw_key_updated() RETURNS TRIGGER LANGUAGE plpgsql AS $$
BEGIN
  IF NEW.token <> OLD.token THEN
    INSERT INTO virtual_key_tombstones (change_seq, token) VALUES (nextval('llmgw_key_change_seq'), OLD.token);
  END IF;
  UPDATE virtual_keys SET change_seq = nextval('llmgw_key_change_seq')
    WHERE token = NEW.token AND change_seq = NEW.change_seq;
  RETURN NULL;
END
$$;
