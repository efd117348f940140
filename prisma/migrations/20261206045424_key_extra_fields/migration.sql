-- AlterTable
ALTER TABLE "virtual_keys" ADD COLUMN     "extra" JSONB NOT NULL DEFAULT '{}';
