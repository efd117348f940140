import type Redis from 'ioredis';
import { REDIS_PREFIX } from '../redis/keys-redis.service';
import type { KeyEventTransport } from './key-events';

/** The broadcast channel of the gateways on one database (its namespace, redis-namespace.ts). */
export function redisChannel(namespace: string): string {
  return `${REDIS_PREFIX}${namespace ? `${namespace}:` : ''}keys`;
}

/** Redis pub/sub: instant fan-out to every instance; after a reconnect the cache is resynchronised. */
export class RedisTransport implements KeyEventTransport {
  readonly name = 'redis';
  private handler?: (channel: string, message: string) => void;
  private channel = redisChannel('');

  constructor(
    private readonly publisher: Redis,
    private readonly subscriber: Redis,
    private readonly ready: (conn: Redis) => Promise<boolean>,
    private readonly namespace: () => Promise<string> = () => Promise.resolve(''),
  ) {}

  async start(onMessage: (payload: string) => void, onReconnect: () => void): Promise<void> {
    this.channel = redisChannel(await this.namespace());
    const channel = this.channel;
    this.handler = (from, message) => {
      if (from === channel) onMessage(message);
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
    void this.subscriber.subscribe(this.channel).catch(() => undefined);
  }

  async publish(payload: string): Promise<void> {
    await this.publisher.publish(this.channel, payload);
  }

  async stop(): Promise<void> {
    if (this.handler) this.subscriber.off('message', this.handler);
    // Only when connected: while reconnecting the command would wait in the offline queue for ever.
    if (this.subscriber.status === 'ready') await this.subscriber.unsubscribe(this.channel).catch(() => undefined);
  }
}
