import { Inject, Injectable, OnApplicationShutdown } from '@nestjs/common';
import type Redis from 'ioredis';
import type { Logger } from 'pino';
import { GATEWAY_CONFIG, type GatewayConfig } from '../../config/gateway-config';
import { APP_LOGGER } from '../../logging/logger';
import { closeRedis, loadRedis } from '../../common/redis/load-redis';
import { raceTimer } from '../../common/time/timeout';

/** Prefix of every Redis key and channel the keys module uses. */
export const REDIS_PREFIX = 'llmgw:';

/**
 * The keys module's Redis connections (only when REDIS_URL is set): one for commands (rate-limit scripts,
 * publishing), one for subscribing. Commands never queue while disconnected: callers get an error at once and fall
 * back (in-process limits), so a Redis outage never stalls model calls.
 */
@Injectable()
export class KeysRedis implements OnApplicationShutdown {
  readonly client: Redis | null;
  private subscriber: Redis | null = null;

  constructor(
    @Inject(GATEWAY_CONFIG) private readonly config: GatewayConfig,
    @Inject(APP_LOGGER) private readonly log: Logger,
  ) {
    this.client = config.redisUrl ? this.connect('commands', false) : null;
  }

  /** The subscriber connection (created on first use). ioredis re-subscribes by itself after a reconnect. */
  subscriberConnection(): Redis {
    if (!this.config.redisUrl) throw new Error('Redis is not configured');
    this.subscriber ??= this.connect('subscriber', true);
    return this.subscriber;
  }

  /** Resolves once the connection is ready, or after `ms` (start does not wait forever for Redis). */
  async ready(conn: Redis, ms = 3_000): Promise<boolean> {
    if (conn.status === 'ready') return true;
    let onReady = (): void => undefined;
    const ready = new Promise<boolean>((resolve) => {
      onReady = () => resolve(true);
      conn.once('ready', onReady);
    });
    try {
      return await raceTimer(ready, ms, () => false);
    } finally {
      conn.off('ready', onReady);
    }
  }

  async onApplicationShutdown(): Promise<void> {
    await Promise.all([this.client, this.subscriber].map((c) => (c ? closeRedis(c) : Promise.resolve())));
  }

  private connect(role: string, offlineQueue: boolean): Redis {
    const conn = new (loadRedis())(this.config.redisUrl!, {
      enableOfflineQueue: offlineQueue,
      maxRetriesPerRequest: offlineQueue ? null : 1,
      connectTimeout: 3_000,
      commandTimeout: offlineQueue ? undefined : 1_000,
      retryStrategy: (times) => Math.min(times * 200, 2_000),
      connectionName: `llm-gateway-keys-${role}`,
    });
    let down = false;
    conn.on('error', (err: Error) => {
      if (!down)
        this.log.warn({ err: err.message, role }, 'redis connection problem (keys); falling back until it is back');
      down = true;
    });
    conn.on('ready', () => {
      if (down) this.log.info({ role }, 'redis connection (keys) is back');
      down = false;
    });
    return conn;
  }
}
