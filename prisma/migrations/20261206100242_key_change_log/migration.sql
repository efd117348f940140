-- AlterTable
ALTER TABLE "virtual_keys" ADD COLUMN     "change_seq" BIGINT NOT NULL DEFAULT 0;

-- CreateTable
CREATE TABLE "virtual_key_tombstones" (
    "change_seq" BIGINT NOT NULL,
    "token" VARCHAR(64) NOT NULL,
    "removed_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "virtual_key_tombstones_pkey" PRIMARY KEY ("change_seq")
);

-- CreateIndex
CREATE INDEX "virtual_keys_change_seq_idx" ON "virtual_keys"("change_seq");

-- The change log the key cache polls. One sequence orders every change; a row's change_seq is raised when a column
-- the cache holds changes (the spend columns, updated_at and updated_by do not count), and a token that stops
-- existing (deleted, or regenerated away) leaves a tombstone with its own sequence value.
CREATE SEQUENCE "llmgw_key_change_seq";
UPDATE "virtual_keys" SET "change_seq" = nextval('llmgw_key_change_seq');

CREATE FUNCTION llmgw_key_changed() RETURNS TRIGGER LANGUAGE plpgsql AS $$
BEGIN
  IF TG_OP = 'DELETE' THEN
    INSERT INTO virtual_key_tombstones (change_seq, token) VALUES (nextval('llmgw_key_change_seq'), OLD.token);
    RETURN OLD;
  END IF;
  IF TG_OP = 'UPDATE' THEN
    IF NEW.token <> OLD.token THEN
      INSERT INTO virtual_key_tombstones (change_seq, token) VALUES (nextval('llmgw_key_change_seq'), OLD.token);
    ELSIF to_jsonb(NEW) - '{spend,model_spend,soft_budget_alerted_at,updated_at,updated_by,change_seq}'::text[]
        = to_jsonb(OLD) - '{spend,model_spend,soft_budget_alerted_at,updated_at,updated_by,change_seq}'::text[] THEN
      RETURN NEW;
    END IF;
  END IF;
  NEW.change_seq := nextval('llmgw_key_change_seq');
  RETURN NEW;
END
$$;

CREATE TRIGGER "virtual_keys_change_log" BEFORE INSERT OR UPDATE OR DELETE ON "virtual_keys"
  FOR EACH ROW EXECUTE FUNCTION llmgw_key_changed();
