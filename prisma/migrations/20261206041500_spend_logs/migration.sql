-- One row per model call (no prompt, no answer). Partitioned by day on start_time: the gateway creates each day's
-- partition before writing into it, and retention drops whole days (no table-wide DELETE, no bloat).
-- Kept outside schema.prisma (Prisma cannot describe a partitioned table); scripts/db-migrations.js treats it as external.
CREATE TABLE "spend_logs" (
    "id" TEXT NOT NULL,
    "request_id" TEXT NOT NULL,
    "call_type" TEXT NOT NULL,
    "api_key" VARCHAR(64),
    "key_alias" TEXT,
    "team_id" TEXT,
    "user" TEXT,
    "end_user" TEXT,
    "model" TEXT NOT NULL,
    "model_id" TEXT,
    "api_base" TEXT,
    "prompt_tokens" INTEGER NOT NULL DEFAULT 0,
    "completion_tokens" INTEGER NOT NULL DEFAULT 0,
    "total_tokens" INTEGER NOT NULL DEFAULT 0,
    "spend" DOUBLE PRECISION NOT NULL DEFAULT 0,
    "start_time" TIMESTAMPTZ(3) NOT NULL,
    "end_time" TIMESTAMPTZ(3) NOT NULL,
    "completion_start_time" TIMESTAMPTZ(3),
    "status" TEXT NOT NULL,
    "status_code" INTEGER NOT NULL,
    "request_tags" TEXT[] NOT NULL DEFAULT '{}',
    CONSTRAINT "spend_logs_pkey" PRIMARY KEY ("start_time", "id")
) PARTITION BY RANGE ("start_time");

-- The /spend/logs filters: each with start_time, newest first.
CREATE INDEX "spend_logs_request_id_idx" ON "spend_logs" ("request_id");
CREATE INDEX "spend_logs_api_key_start_time_idx" ON "spend_logs" ("api_key", "start_time");
CREATE INDEX "spend_logs_team_id_start_time_idx" ON "spend_logs" ("team_id", "start_time");
CREATE INDEX "spend_logs_user_start_time_idx" ON "spend_logs" ("user", "start_time");
