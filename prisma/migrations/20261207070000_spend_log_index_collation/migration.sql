-- The spend log's text indexes compare bytes (collation "C") instead of the database's collation: every row a batch
-- writes is a descent of each index, and a locale's comparisons (en_US.UTF-8, even C.UTF-8) cost the database
-- several times a byte comparison per step. The filters these indexes serve are equalities, whose answer no
-- collation changes; the reads name the collation so the planner picks these indexes (src/spend/spend-queries.ts).
DROP INDEX "spend_logs_request_id_idx";
CREATE INDEX "spend_logs_request_id_idx" ON "spend_logs" ("request_id" COLLATE "C");
DROP INDEX "spend_logs_api_key_start_time_idx";
CREATE INDEX "spend_logs_api_key_start_time_idx" ON "spend_logs" ("api_key" COLLATE "C", "start_time") WHERE "api_key" IS NOT NULL;
DROP INDEX "spend_logs_team_id_start_time_idx";
CREATE INDEX "spend_logs_team_id_start_time_idx" ON "spend_logs" ("team_id" COLLATE "C", "start_time") WHERE "team_id" IS NOT NULL;
DROP INDEX "spend_logs_user_start_time_idx";
CREATE INDEX "spend_logs_user_start_time_idx" ON "spend_logs" ("user" COLLATE "C", "start_time") WHERE "user" IS NOT NULL;
