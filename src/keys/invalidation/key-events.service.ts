import { Inject, Injectable, OnApplicationShutdown, OnModuleInit } from '@nestjs/common';
import { randomBytes } from 'node:crypto';
import type { Logger } from 'pino';
import { DatabaseService } from '../../database/database.service';
import { APP_LOGGER } from '../../logging/logger';
import { KeysRedis } from '../redis/keys-redis.service';
import { decodeEvent, encodeEvents, type KeyEvent, type KeyEventBody, type KeyEventTransport } from './key-events';
import { PgTransport } from './pg-transport';
import { RedisTransport } from './redis-transport';

export interface KeyEventHandlers {
  onEvent(event: KeyEvent): void;
  /** Messages may have been missed: drop everything cached. */
  onResync(): void;
}

/**
 * Cross-instance broadcast of key changes and spend totals. Redis pub/sub when REDIS_URL is set (the shared state
 * the deployment already runs for limits), else PostgreSQL LISTEN/NOTIFY (nothing else to run). Each instance
 * ignores its own messages: it applied the change synchronously before publishing.
 */
@Injectable()
export class KeyEventsService implements OnModuleInit, OnApplicationShutdown {
  /** This process, as the origin of the messages it sends. */
  readonly instanceId = randomBytes(6).toString('hex');
  private readonly transport: KeyEventTransport;
  private readonly handlers: KeyEventHandlers[] = [];

  constructor(
    db: DatabaseService,
    redis: KeysRedis,
    @Inject(APP_LOGGER) private readonly log: Logger,
  ) {
    this.transport = redis.client
      ? new RedisTransport(redis.client, redis.subscriberConnection(), (c) => redis.ready(c))
      : new PgTransport(db);
  }

  get transportName(): string {
    return this.transport.name;
  }

  /** Each registered party hears every message (the key cache; the mirror of teams, users and end users). */
  register(handlers: KeyEventHandlers): void {
    this.handlers.push(handlers);
  }

  async onModuleInit(): Promise<void> {
    await this.transport.start(
      (payload) => this.receive(payload),
      () => {
        this.log.warn({ transport: this.transport.name }, 'key change broadcast reconnected; dropping the key cache');
        for (const h of this.handlers) h.onResync();
      },
    );
    this.log.info({ transport: this.transport.name }, 'key change broadcast ready');
  }

  /** Sends without waiting for anyone; a failure is logged (the periodic cache resync bounds staleness). */
  publish(event: KeyEventBody): void {
    for (const payload of encodeEvents({ ...event, o: this.instanceId })) {
      this.transport
        .publish(payload)
        .catch((err: unknown) =>
          this.log.warn(
            { err: (err as Error).message, transport: this.transport.name },
            'could not broadcast a key change',
          ),
        );
    }
  }

  async onApplicationShutdown(): Promise<void> {
    await this.transport.stop().catch(() => undefined);
  }

  private receive(payload: string): void {
    const event = decodeEvent(payload);
    if (!event || event.o === this.instanceId) return;
    for (const h of this.handlers) h.onEvent(event);
  }
}
