-- AlterTable
ALTER TABLE "virtual_keys" ADD COLUMN     "blocked_by" TEXT;

-- Keys blocked before this column existed: treated as blocked by an admin (only an admin lifts the block).
UPDATE "virtual_keys" SET "blocked_by" = 'admin' WHERE "blocked";
