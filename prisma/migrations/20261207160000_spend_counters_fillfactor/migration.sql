-- The spend write updates the row of every key, team, user, end user and team membership used in the last second.
-- With full pages each such update moved its row to another page and added an entry to every index of the table;
-- with room left on each page the update stays on the page (a heap-only tuple) and no index is touched. Rows written
-- from now on leave that room; rows already written gain it as their pages are rewritten.
ALTER TABLE "virtual_keys" SET (fillfactor = 80);
ALTER TABLE "teams" SET (fillfactor = 80);
ALTER TABLE "users" SET (fillfactor = 80);
ALTER TABLE "end_users" SET (fillfactor = 80);
ALTER TABLE "team_memberships" SET (fillfactor = 80);
