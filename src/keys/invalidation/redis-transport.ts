import type Redis from 'ioredis';
import { REDIS_PREFIX } from '../redis/keys-redis.service';
import type { KeyEventTransport } from './key-events';

export const REDIS_CHANNEL = `${REDIS_PREFIX}keys`;

/** Redis pub/sub: instant fan-out to every instance; after a reconnect the cache is resynchronised. */
export class RedisTransport implements KeyEventTransport {
  readonly name = 'redis';
  private handler?: (channel: string, message: string) => void;

  constructor(
    private readonly publisher: Redis,
    private readonly subscriber: Redis,
    private readonly ready: (conn: Redis) => Promise<boolean>,
  ) {}

  async start(onMessage: (payload: string) => void, onReconnect: () => void): Promise<void> {
    this.handler = (channel, message) => {
      if (channel === REDIS_CHANNEL) onMessage(message);
    };
    this.subscriber.on('message', this.handler);
    let wasDown = false;
    this.subscriber.on('close', () => (wasDown = true));
    this.subscriber.on('ready', () => {
      if (wasDown) onReconnect();
      wasDown = false;
    });
    await this.ready(this.subscriber);
    // Queued while connecting (the subscriber keeps an offline queue), so this holds even if Redis is late.
    void this.subscriber.subscribe(REDIS_CHANNEL).catch(() => undefined);
  }

  async publish(payload: string): Promise<void> {
    await this.publisher.publish(REDIS_CHANNEL, payload);
  }

  async stop(): Promise<void> {
    if (this.handler) this.subscriber.off('message', this.handler);
    // Only when connected: while reconnecting the command would wait in the offline queue for ever.
    if (this.subscriber.status === 'ready') await this.subscriber.unsubscribe(REDIS_CHANNEL).catch(() => undefined);
  }
}
