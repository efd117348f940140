import { Client } from 'pg';
import type { Logger } from 'pino';

/** First wait before reconnecting a lost LISTEN connection; doubled per failed attempt up to the max. */
/** The listener's connections name themselves, so they can be told apart in pg_stat_activity (and cut in tests). */
export const LISTENER_APPLICATION_NAME = 'llm-gateway-listener';
export const LISTEN_RETRY_MIN_MS = 250;
export const LISTEN_RETRY_MAX_MS = 2_000;
/**
 * A LISTEN connection only receives, so a silent one (a partition: no reset) would never be noticed: it is checked
 * with a query this often, and replaced when the query fails or gets no answer within the timeout.
 */
export const LISTEN_HEARTBEAT_MS = 10_000;
const HEARTBEAT_TIMEOUT_MS = 5_000;
/** How long stop() lets a connection close politely before its socket is destroyed. */
const STOP_WAIT_MS = 1_000;

/**
 * One dedicated connection LISTENing on a PostgreSQL channel, kept alive: when the connection is lost (the
 * database restarted, a network cut), it reconnects with backoff and, once LISTENing again, calls `onReconnect`
 * (notifications sent meanwhile were missed, so the receiver must resynchronise).
 */
export class PgListener {
  private client: Client | null = null;
  private stopped = false;
  private timer?: NodeJS.Timeout;
  private readonly heartbeat: NodeJS.Timeout;
  private delayMs = LISTEN_RETRY_MIN_MS;
  private failedAttempts = 0;

  constructor(
    private readonly url: string,
    private readonly channel: string,
    private readonly onMessage: (payload: string) => void,
    private readonly onReconnect: () => void,
    private readonly log: Logger,
  ) {
    this.heartbeat = setInterval(() => void this.check(), LISTEN_HEARTBEAT_MS);
    this.heartbeat.unref();
  }

  /** Connects and LISTENs; rejects when the first connection fails (the start fails, as for any database error). */
  async start(): Promise<void> {
    try {
      await this.connect();
    } catch (err) {
      clearInterval(this.heartbeat);
      throw err;
    }
  }

  async stop(): Promise<void> {
    this.stopped = true;
    clearTimeout(this.timer);
    clearInterval(this.heartbeat);
    const c = this.client;
    this.client = null;
    if (!c) return;
    // end() waits for the server to close the connection; one that stopped answering (a network partition) never
    // does, so after a moment the socket is destroyed, which ends it at once.
    const cut = setTimeout(
      () => (c as unknown as { connection?: { stream?: { destroy(): void } } }).connection?.stream?.destroy(),
      STOP_WAIT_MS,
    );
    await c.end().catch(() => undefined);
    clearTimeout(cut);
  }

  private async connect(): Promise<void> {
    const c = new Client({
      connectionString: this.url,
      application_name: LISTENER_APPLICATION_NAME,
      connectionTimeoutMillis: 5_000,
      query_timeout: HEARTBEAT_TIMEOUT_MS,
      keepAlive: true,
    });
    c.on('error', (err) => {
      if (this.client === c)
        this.log.warn({ err: err.message, channel: this.channel }, 'database listener connection failed; reconnecting');
    });
    c.on('notification', (n) => n.channel === this.channel && n.payload !== undefined && this.onMessage(n.payload));
    let ended = false;
    c.once('end', () => {
      ended = true;
      this.lost(c);
    });
    try {
      await c.connect();
      await c.query(`LISTEN "${this.channel.replace(/"/g, '')}"`);
    } catch (err) {
      await c.end().catch(() => undefined);
      throw err;
    }
    if (this.stopped) {
      await c.end().catch(() => undefined);
      return;
    }
    this.client = c;
    if (ended) this.lost(c); // lost between LISTEN and here
  }

  /** The heartbeat: a connection that does not answer is given up (ended in the background) and replaced. */
  private async check(): Promise<void> {
    const c = this.client;
    if (!c) return;
    try {
      await c.query('SELECT 1');
    } catch (err) {
      if (this.client !== c) return;
      this.log.warn(
        { err: (err as Error).message, channel: this.channel },
        'database listener connection does not answer; reconnecting',
      );
      this.client = null;
      void c.end().catch(() => undefined);
      if (!this.stopped) this.schedule();
    }
  }

  private lost(c: Client): void {
    if (this.client !== c) return; // a connection that never became the listener, or one we ended
    this.client = null;
    if (!this.stopped) this.schedule();
  }

  private schedule(): void {
    this.timer = setTimeout(() => void this.retry(), this.delayMs);
    this.timer.unref();
    this.delayMs = Math.min(this.delayMs * 2, LISTEN_RETRY_MAX_MS);
  }

  private async retry(): Promise<void> {
    if (this.stopped) return;
    try {
      await this.connect();
    } catch (err) {
      if (this.failedAttempts++ === 0)
        this.log.warn(
          { err: (err as Error).message, channel: this.channel },
          'database listener cannot reconnect yet; retrying',
        );
      if (!this.stopped) this.schedule();
      return;
    }
    if (this.stopped) return;
    this.log.info({ channel: this.channel, failedAttempts: this.failedAttempts }, 'database listener reconnected');
    this.delayMs = LISTEN_RETRY_MIN_MS;
    this.failedAttempts = 0;
    this.onReconnect();
  }
}
