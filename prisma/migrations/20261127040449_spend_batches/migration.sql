-- CreateTable
CREATE TABLE "spend_batches" (
    "id" VARCHAR(32) NOT NULL,
    "applied_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "spend_batches_pkey" PRIMARY KEY ("id")
);

-- CreateIndex
CREATE INDEX "spend_batches_applied_at_idx" ON "spend_batches"("applied_at");
