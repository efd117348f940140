import { Inject, Injectable, OnApplicationShutdown } from '@nestjs/common';
import type { Logger } from 'pino';
import { GATEWAY_CONFIG, type GatewayConfig } from '../config/gateway-config';
import { PrismaClient } from '../generated/prisma/client';
import { APP_LOGGER } from '../logging/logger';
import type { CopyAround } from './copy-in';
import { openDatabase, type OpenedDatabase } from './open-database';

/**
 * The Prisma client as a provider, over PostgreSQL (`DATABASE_URL`) or the embedded PGlite store. Migrations are
 * applied before the client is handed out. Closed last at shutdown (after spend has been flushed).
 */
@Injectable()
export class DatabaseService implements OnApplicationShutdown {
  private db!: OpenedDatabase;

  constructor(
    @Inject(GATEWAY_CONFIG) private readonly config: GatewayConfig,
    @Inject(APP_LOGGER) private readonly log: Logger,
  ) {}

  /** Called once by the module factory, before anything can use the client. */
  async open(): Promise<this> {
    this.db = await openDatabase(this.config.database, this.log);
    return this;
  }

  get prisma(): PrismaClient {
    return this.db.prisma;
  }

  /** Plain SQL on the same pool, for what Prisma cannot say or does slowly (multi-row writes, partitions). */
  query<T = Record<string, unknown>>(sql: string, params?: unknown[]): Promise<T[]> {
    return this.db.query<T>(sql, params);
  }

  /** Whether `copyOut` can be used (PostgreSQL; not the embedded store). */
  get canCopyOut(): boolean {
    return this.db.copyOut !== undefined;
  }

  /**
   * `COPY ... FROM STDIN` of `data` (text, or a binary COPY's chunks): the cheapest bulk write either store has. With
   * `around`, in one transaction with those statements.
   */
  copyIn(sql: string, data: string | readonly Buffer[], around?: CopyAround): Promise<void> {
    return this.db.copyIn(sql, data, around);
  }

  /** `COPY ... TO STDOUT` (PostgreSQL only): the rows' bytes to `onData` as they arrive. */
  copyOut(sql: string, onData: (chunk: Buffer) => void): Promise<void> {
    if (!this.db.copyOut) return Promise.reject(new Error('this store does not speak COPY'));
    return this.db.copyOut(sql, onData);
  }

  get kind(): 'postgres' | 'embedded' {
    return this.db.kind;
  }

  /** Readiness probe: resolves when a trivial query answers within `timeoutMs`, else rejects with the reason. */
  ping(timeoutMs = 2000): Promise<void> {
    return this.db.ping(timeoutMs);
  }

  /**
   * Subscribe to a PostgreSQL NOTIFY channel (cross-instance cache invalidation without Redis). Embedded: in-process only.
   * A lost connection is re-established by itself; `onReconnect` runs when it is back (messages may have been missed).
   * Returns an unsubscribe function.
   */
  listen(
    channel: string,
    onMessage: (payload: string) => void,
    onReconnect: () => void = () => undefined,
  ): Promise<() => Promise<void>> {
    return this.db.listen(channel, onMessage, onReconnect);
  }

  notify(channel: string, payload: string): Promise<void> {
    return this.db.notify(channel, payload);
  }

  async onApplicationShutdown(): Promise<void> {
    await this.db?.close();
  }
}
