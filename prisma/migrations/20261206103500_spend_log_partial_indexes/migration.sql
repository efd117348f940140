-- A spend log row of no key (a JWT or the master key), of no team or of no user adds nothing to that index: the
-- filters these indexes serve always name a value, and most rows lack one of the three.
DROP INDEX "spend_logs_api_key_start_time_idx";
CREATE INDEX "spend_logs_api_key_start_time_idx" ON "spend_logs" ("api_key", "start_time") WHERE "api_key" IS NOT NULL;
DROP INDEX "spend_logs_team_id_start_time_idx";
CREATE INDEX "spend_logs_team_id_start_time_idx" ON "spend_logs" ("team_id", "start_time") WHERE "team_id" IS NOT NULL;
DROP INDEX "spend_logs_user_start_time_idx";
CREATE INDEX "spend_logs_user_start_time_idx" ON "spend_logs" ("user", "start_time") WHERE "user" IS NOT NULL;
