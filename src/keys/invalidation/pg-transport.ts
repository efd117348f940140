import type { DatabaseService } from '../../database/database.service';
import type { KeyEventTransport } from './key-events';

export const PG_CHANNEL = 'llmgw_keys';

/**
 * PostgreSQL LISTEN/NOTIFY through the DatabaseService: every instance on the database hears it with no extra
 * infrastructure. (With the embedded store it is in-process only; that store is single-instance anyway.)
 */
export class PgTransport implements KeyEventTransport {
  readonly name = 'postgres';
  private unlisten?: () => Promise<void>;

  constructor(private readonly db: DatabaseService) {}

  /** `onReconnect`: the listener connection was lost and is back; changes made meanwhile were not heard. */
  async start(onMessage: (payload: string) => void, onReconnect: () => void): Promise<void> {
    this.unlisten = await this.db.listen(PG_CHANNEL, onMessage, onReconnect);
  }

  publish(payload: string): Promise<void> {
    return this.db.notify(PG_CHANNEL, payload);
  }

  async stop(): Promise<void> {
    await this.unlisten?.();
  }
}
