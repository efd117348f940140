-- AlterTable
ALTER TABLE "virtual_keys" ADD COLUMN     "model_spend" JSONB NOT NULL DEFAULT '{}';
