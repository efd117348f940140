-- The key, team and user indexes hold a 4-byte hash of the value (hashtext, the function hash indexes and hash
-- partitioning keep stable) instead of the value: a key's 64 characters made each entry about four times the size,
-- and a row's descents of these indexes were most of what a row cost the database. The reads compare the hash, then
-- the value itself (src/spend/spend-queries.ts), so values that share a hash never mix; the order by start_time within
-- one value is kept for the newest-first pages.
DROP INDEX "spend_logs_api_key_start_time_idx";
CREATE INDEX "spend_logs_api_key_start_time_idx" ON "spend_logs" (hashtext("api_key"), "start_time") WHERE "api_key" IS NOT NULL;
DROP INDEX "spend_logs_team_id_start_time_idx";
CREATE INDEX "spend_logs_team_id_start_time_idx" ON "spend_logs" (hashtext("team_id"), "start_time") WHERE "team_id" IS NOT NULL;
DROP INDEX "spend_logs_user_start_time_idx";
CREATE INDEX "spend_logs_user_start_time_idx" ON "spend_logs" (hashtext("user"), "start_time") WHERE "user" IS NOT NULL;
