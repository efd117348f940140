import { Client } from 'pg';
import type { Logger } from 'pino';

/** What the listener connection is called in pg_stat_activity. */
export const LISTENER_APPLICATION_NAME = 'llm-gateway-listener';
const MAX_RETRY_MS = 2_000;

/**
 * LISTEN on a channel over a dedicated connection that comes back by itself: when the connection is lost (database
 * restart, network, a terminated backend) it reconnects with a short backoff, and `onReconnect` runs once it
 * listens again (notifications sent meanwhile were missed). Resolves, once listening, with the stop function.
 */
export async function listenWithReconnect(
  url: string,
  channel: string,
  onMessage: (payload: string) => void,
  onReconnect: () => void,
  log: Logger,
): Promise<() => Promise<void>> {
  let stopped = false;
  let current: Client | null = null;
  let timer: NodeJS.Timeout | null = null;
  let attempt = 0;

  const connect = async (): Promise<void> => {
    const c = new Client({ connectionString: url, connectionTimeoutMillis: 5_000, application_name: LISTENER_APPLICATION_NAME });
    let lost = false;
    const onLost = () => {
      if (lost) return;
      lost = true;
      if (current === c) current = null;
      if (!stopped) {
        log.warn({ channel }, 'database listener connection lost; reconnecting');
        retry();
      }
    };
    c.on('notification', (n) => n.channel === channel && n.payload !== undefined && onMessage(n.payload));
    c.on('error', (err) => {
      log.warn({ err: err.message, channel }, 'database listener connection failed');
      onLost();
    });
    c.on('end', onLost);
    try {
      await c.connect();
      await c.query(`LISTEN "${channel.replace(/"/g, '')}"`);
    } catch (err) {
      lost = true; // the caller decides what follows a failed attempt
      await c.end().catch(() => undefined);
      throw err;
    }
    if (stopped) {
      await c.end().catch(() => undefined);
      return;
    }
    current = c;
  };

  const retry = () => {
    if (timer || stopped) return;
    const delay = Math.min(100 * 2 ** attempt++, MAX_RETRY_MS);
    timer = setTimeout(() => {
      timer = null;
      connect().then(
        () => {
          if (stopped) return;
          attempt = 0;
          log.info({ channel }, 'database listener is back');
          onReconnect();
        },
        () => retry(),
      );
    }, delay);
  };

  await connect();
  return async () => {
    stopped = true;
    if (timer) clearTimeout(timer);
    timer = null;
    await current?.end().catch(() => undefined);
    current = null;
  };
}
