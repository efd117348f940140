-- The spend write updates the row of every key used in the last second, found by its token. The primary key holds
-- the 64-character token in each entry: each lookup descends its levels comparing text, and with keys used at random
-- over a large table most of its pages are not in PostgreSQL's buffers. A hash index holds a 4-byte hash per entry
-- (a quarter of the size) and answers an equality from one bucket page; the planner takes it for those lookups.
CREATE INDEX "virtual_keys_token_hash_idx" ON "virtual_keys" USING HASH ("token");
