/** PostgreSQL's epoch (2000-01-01 UTC) in Unix milliseconds: binary timestamps count microseconds from it. */
export const PG_EPOCH_MS = 946_684_800_000;
