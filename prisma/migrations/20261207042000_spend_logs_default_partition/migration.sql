-- A row of a day that has no partition of its own (history imported from LiteLLM_SpendLogs, a row backdated by
-- hand) lands here instead of failing; retention deletes its old rows as it does a day's. The gateway's own writes
-- go to the daily partitions it creates, so this stays empty in normal use (creating a day's partition then
-- checks it at no cost).
CREATE TABLE "spend_logs_default" PARTITION OF "spend_logs" DEFAULT;
