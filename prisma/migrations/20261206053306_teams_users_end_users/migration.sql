-- AlterTable
ALTER TABLE "audit_log" ADD COLUMN     "object_id" TEXT;

-- AlterTable
ALTER TABLE "virtual_keys" ADD COLUMN     "budget_duration" TEXT,
ADD COLUMN     "budget_reset_at" TIMESTAMPTZ(3),
ADD COLUMN     "soft_budget" DOUBLE PRECISION,
ADD COLUMN     "soft_budget_alerted_at" TIMESTAMPTZ(3);

-- CreateTable
CREATE TABLE "teams" (
    "team_id" TEXT NOT NULL,
    "team_alias" TEXT,
    "organization_id" TEXT,
    "admins" TEXT[] DEFAULT ARRAY[]::TEXT[],
    "members" TEXT[] DEFAULT ARRAY[]::TEXT[],
    "members_with_roles" JSONB NOT NULL DEFAULT '[]',
    "metadata" JSONB NOT NULL DEFAULT '{}',
    "models" TEXT[] DEFAULT ARRAY[]::TEXT[],
    "spend" DOUBLE PRECISION NOT NULL DEFAULT 0,
    "max_budget" DOUBLE PRECISION,
    "soft_budget" DOUBLE PRECISION,
    "budget_duration" TEXT,
    "budget_reset_at" TIMESTAMPTZ(3),
    "soft_budget_alerted_at" TIMESTAMPTZ(3),
    "rpm_limit" INTEGER,
    "tpm_limit" INTEGER,
    "max_parallel_requests" INTEGER,
    "blocked" BOOLEAN NOT NULL DEFAULT false,
    "extra" JSONB NOT NULL DEFAULT '{}',
    "created_by" TEXT,
    "updated_by" TEXT,
    "created_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "updated_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "teams_pkey" PRIMARY KEY ("team_id")
);

-- CreateTable
CREATE TABLE "users" (
    "user_id" TEXT NOT NULL,
    "user_email" TEXT,
    "user_alias" TEXT,
    "user_role" TEXT,
    "teams" TEXT[] DEFAULT ARRAY[]::TEXT[],
    "metadata" JSONB NOT NULL DEFAULT '{}',
    "models" TEXT[] DEFAULT ARRAY[]::TEXT[],
    "spend" DOUBLE PRECISION NOT NULL DEFAULT 0,
    "max_budget" DOUBLE PRECISION,
    "soft_budget" DOUBLE PRECISION,
    "budget_duration" TEXT,
    "budget_reset_at" TIMESTAMPTZ(3),
    "soft_budget_alerted_at" TIMESTAMPTZ(3),
    "rpm_limit" INTEGER,
    "tpm_limit" INTEGER,
    "max_parallel_requests" INTEGER,
    "blocked" BOOLEAN NOT NULL DEFAULT false,
    "extra" JSONB NOT NULL DEFAULT '{}',
    "created_by" TEXT,
    "updated_by" TEXT,
    "created_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "updated_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "users_pkey" PRIMARY KEY ("user_id")
);

-- CreateTable
CREATE TABLE "end_users" (
    "user_id" TEXT NOT NULL,
    "alias" TEXT,
    "allowed_model_region" TEXT,
    "default_model" TEXT,
    "metadata" JSONB NOT NULL DEFAULT '{}',
    "models" TEXT[] DEFAULT ARRAY[]::TEXT[],
    "spend" DOUBLE PRECISION NOT NULL DEFAULT 0,
    "max_budget" DOUBLE PRECISION,
    "soft_budget" DOUBLE PRECISION,
    "budget_duration" TEXT,
    "budget_reset_at" TIMESTAMPTZ(3),
    "soft_budget_alerted_at" TIMESTAMPTZ(3),
    "rpm_limit" INTEGER,
    "tpm_limit" INTEGER,
    "max_parallel_requests" INTEGER,
    "blocked" BOOLEAN NOT NULL DEFAULT false,
    "extra" JSONB NOT NULL DEFAULT '{}',
    "created_by" TEXT,
    "updated_by" TEXT,
    "created_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "updated_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "end_users_pkey" PRIMARY KEY ("user_id")
);

-- CreateIndex
CREATE INDEX "users_user_email_idx" ON "users"("user_email");

-- CreateIndex
CREATE INDEX "audit_log_object_id_idx" ON "audit_log"("object_id");

-- Team spend so far moves onto the teams it belongs to (each team id that spent becomes a team without limits).
INSERT INTO "teams" ("team_id", "spend", "updated_at") SELECT "team_id", "spend", "updated_at" FROM "team_spend";

-- DropTable
DROP TABLE "team_spend";

-- The end of the budget period after the one that ended at `at` (at <= now): one `duration` after `at`, or as many
-- as it takes to pass `now`, counted from `at` so periods never drift. Months and years are calendar ones in UTC.
CREATE FUNCTION llmgw_next_reset(at TIMESTAMPTZ, duration TEXT, now TIMESTAMPTZ) RETURNS TIMESTAMPTZ
LANGUAGE plpgsql IMMUTABLE AS $$
DECLARE
  n INTEGER := substring(duration FROM '^([0-9]+)')::INTEGER;
  unit TEXT := substring(duration FROM '^[0-9]+(s|m|h|d|w|mo|y)$');
  step INTERVAL;
  months INTEGER;
  k BIGINT;
  result TIMESTAMPTZ;
BEGIN
  IF at IS NULL OR n IS NULL OR unit IS NULL OR n <= 0 THEN
    RETURN NULL;
  END IF;
  IF unit IN ('mo', 'y') THEN
    months := CASE WHEN unit = 'y' THEN 12 * n ELSE n END;
    k := GREATEST(1, ((EXTRACT(YEAR FROM age(now AT TIME ZONE 'UTC', at AT TIME ZONE 'UTC')) * 12
      + EXTRACT(MONTH FROM age(now AT TIME ZONE 'UTC', at AT TIME ZONE 'UTC')))::BIGINT) / months);
    LOOP
      result := ((at AT TIME ZONE 'UTC') + make_interval(months => (k * months)::INTEGER)) AT TIME ZONE 'UTC';
      EXIT WHEN result > now;
      k := k + 1;
    END LOOP;
    RETURN result;
  END IF;
  step := n * CASE unit
    WHEN 's' THEN INTERVAL '1 second'
    WHEN 'm' THEN INTERVAL '1 minute'
    WHEN 'h' THEN INTERVAL '1 hour'
    WHEN 'd' THEN INTERVAL '1 day'
    ELSE INTERVAL '7 days'
  END;
  k := GREATEST(1, FLOOR(EXTRACT(EPOCH FROM (now - at)) / EXTRACT(EPOCH FROM step))::BIGINT + 1);
  RETURN at + step * k;
END
$$;
