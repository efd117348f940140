-- key_alias is unique within a team, so that a refusal never tells a team that another team uses an alias. Keys
-- without a team form one namespace of their own (the second index).
-- DropIndex
DROP INDEX "virtual_keys_key_alias_key";

-- CreateIndex
CREATE UNIQUE INDEX "virtual_keys_team_id_key_alias_key" ON "virtual_keys"("team_id", "key_alias") WHERE (team_id IS NOT NULL);

-- CreateIndex
CREATE UNIQUE INDEX "virtual_keys_key_alias_no_team_key" ON "virtual_keys"("key_alias") WHERE (team_id IS NULL);
