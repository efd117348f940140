import type Redis from 'ioredis';

/**
 * ioredis, loaded on first use: without a Redis configured the gateway never loads it (nor holds its code in memory).
 * A synchronous require, since connections are made in constructors.
 */
export function loadRedis(): typeof Redis {
  // eslint-disable-next-line @typescript-eslint/no-require-imports -- synchronous on purpose (see above)
  return (require('ioredis') as { default: typeof Redis }).default;
}

/** QUIT when connected (bounded); otherwise stop reconnecting at once, so shutdown never waits on a dead Redis. */
export async function closeRedis(conn: Redis): Promise<void> {
  if (conn.status !== 'ready') {
    conn.disconnect();
    return;
  }
  const timer = setTimeout(() => conn.disconnect(), 1_000);
  await conn.quit().catch(() => conn.disconnect());
  clearTimeout(timer);
}
