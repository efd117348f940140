import { Injectable, OnApplicationShutdown } from '@nestjs/common';
import { Pool } from './undici-parts';

/** Bound on concurrent connections to one upstream origin (requests beyond it queue in the pool). */
export const MAX_CONNECTIONS_PER_ORIGIN = 256;
const MAX_CONNECT_TIMEOUT_MS = 10_000;

/**
 * One undici keep-alive `Pool` per upstream origin, created at start and shared by every deployment on that
 * origin: no new connection per request, a bounded number of connections, a connect timeout.
 */
@Injectable()
export class UpstreamPools implements OnApplicationShutdown {
  private readonly pools = new Map<string, Pool>();

  /** The pool of `origin`; `connectTimeoutMs` applies when it is created (the smallest deployment timeout). */
  get(origin: string, connectTimeoutMs: number): Pool {
    let pool = this.pools.get(origin);
    if (!pool) {
      pool = new Pool(origin, {
        connections: MAX_CONNECTIONS_PER_ORIGIN,
        pipelining: 1,
        keepAliveTimeout: 30_000,
        keepAliveMaxTimeout: 600_000,
        connect: { timeout: Math.min(connectTimeoutMs, MAX_CONNECT_TIMEOUT_MS) },
      });
      this.pools.set(origin, pool);
    }
    return pool;
  }

  get size(): number {
    return this.pools.size;
  }

  async onApplicationShutdown(): Promise<void> {
    const pools = [...this.pools.values()];
    this.pools.clear();
    // In-flight calls were drained by the HTTP server's close; whatever is left (a stuck stream) is cut.
    await Promise.all(pools.map((p) => p.destroy().catch(() => undefined)));
  }
}
