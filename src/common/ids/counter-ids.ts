/**
 * Where the counters of the gateway's own ids start: 36^5, so the base-36 counter keeps six digits for its first
 * ~2.1 billion ids. Ids of one width sort, as bytes, in the order they are made, so each new request id and spend log
 * row id goes at the end of the spend log's indexes; a counter from 1 changes width at 36, 1,296, 46,656, ..., and
 * after each change its ids go among the shorter ones already there (a descent and a page split mid-index per row).
 */
const COUNTER_START = 36 ** 5;

/** Ids `<prefix><base-36 counter>`, made in ascending byte order. */
export function counterIds(prefix: string): () => string {
  let seq = COUNTER_START;
  return () => `${prefix}${(++seq).toString(36)}`;
}
