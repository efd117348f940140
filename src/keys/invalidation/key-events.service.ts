import { Inject, Injectable, OnApplicationShutdown, OnModuleInit } from '@nestjs/common';
import { randomBytes } from 'node:crypto';
import type { Logger } from 'pino';
import { DatabaseService } from '../../database/database.service';
import { raceTimer } from '../../common/time/timeout';
import { APP_LOGGER } from '../../logging/logger';
import { KeysRedis } from '../redis/keys-redis.service';
import {
  decodeEvent,
  encodeEvents,
  sentBy,
  type KeyEvent,
  type KeyEventBody,
  type KeyEventTransport,
} from './key-events';
import { PgTransport } from './pg-transport';
import { RedisTransport } from './redis-transport';
import { redisNamespace } from '../redis/redis-namespace';

/** Longest wait for the transport to take a message (Redis or PostgreSQL unreachable: the change still applies). */
const PUBLISH_WAIT_MS = 500;

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
      ? new RedisTransport(
          redis.client,
          redis.subscriberConnection(),
          (c) => redis.ready(c),
          () => redisNamespace(db),
        )
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

  /**
   * Sends; settles when the transport took the message (bounded by PUBLISH_WAIT_MS), never rejects: a failure is
   * logged, and the key change log bounds how stale another instance can be. A management change waits for it, so
   * that a key created here is known elsewhere by the time its creator has the answer.
   */
  publish(event: KeyEventBody): Promise<void> {
    const sent = encodeEvents({ ...event, o: this.instanceId }).map((payload) =>
      this.transport
        .publish(payload)
        .catch((err: unknown) =>
          this.log.warn(
            { err: (err as Error).message, transport: this.transport.name },
            'could not broadcast a key change',
          ),
        ),
    );
    return raceTimer(
      Promise.all(sent).then(() => undefined),
      PUBLISH_WAIT_MS,
      () => undefined,
    );
  }

  async onApplicationShutdown(): Promise<void> {
    await this.transport.stop().catch(() => undefined);
  }

  private receive(payload: string): void {
    // PostgreSQL delivers a sender's NOTIFY to its own LISTEN too: each second's spend totals would be parsed back.
    if (sentBy(this.instanceId, payload)) return;
    const event = decodeEvent(payload);
    if (!event || event.o === this.instanceId) return;
    for (const h of this.handlers) h.onEvent(event);
  }
}
