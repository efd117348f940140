import { Inject, Injectable, OnApplicationShutdown, OnModuleInit } from '@nestjs/common';
import { randomBytes } from 'node:crypto';
import type Redis from 'ioredis';
import type { Logger } from 'pino';
import { closeRedis, loadRedis } from '../../common/redis/load-redis';
import { GATEWAY_CONFIG, type GatewayConfig } from '../../config/gateway-config';
import { APP_LOGGER } from '../../logging/logger';
import type { Deployment } from './deployment';
import { RouterService } from './router.service';

/** How often this instance's counts go to Redis and the cluster's come back. */
export const ROUTER_SYNC_MS = 250;
const PREFIX = 'llmgw:router:';
/** A per-minute usage key outlives its minute a little (a late reader), then Redis drops it. */
const USAGE_TTL_S = 120;
/** Another instance's in-flight count or latency not refreshed for this long is that of a stopped instance. */
const STALE_MS = 5_000;
const HASH_TTL_S = 3_600;

/**
 * Routing state shared between instances through Redis (REDIS_URL or router_settings.redis_*), never on the request
 * path: every ROUTER_SYNC_MS one pipelined round trip pushes what this instance counted since the last sync and
 * reads the cluster back. Usage (rpm/tpm, usage-based routing): HINCRBY into one hash per deployment and minute,
 * then the totals. In-flight calls (least-busy) and latency averages (latency-based routing): one hash field per
 * instance, stamped, so a stopped instance's value stops counting. Strategies add the others' numbers to this
 * instance's own, which are always current. Redis down: one warning, the others' numbers drop to 0 (local only),
 * and unpushed counts are pushed when it is back.
 */
@Injectable()
export class SharedRouterState implements OnModuleInit, OnApplicationShutdown {
  private readonly client: Redis | null;
  private readonly instance = randomBytes(8).toString('hex');
  private readonly shareActive: boolean;
  private readonly deployments: Deployment[];
  /** In-flight count last written per deployment (a count is written when it changed, or refreshed while > 0). */
  private readonly writtenActive = new Map<Deployment, number>();
  private timer?: NodeJS.Timeout;
  private running = false;
  private down = false;

  constructor(
    router: RouterService,
    @Inject(GATEWAY_CONFIG) config: GatewayConfig,
    @Inject(APP_LOGGER) private readonly log: Logger,
  ) {
    this.shareActive = config.router.routingStrategy === 'least-busy';
    this.deployments = router.deployments().filter((d) => d.usage.tracked || d.latency !== null || this.shareActive);
    this.client =
      config.redisUrl && this.deployments.length > 0
        ? new (loadRedis())(config.redisUrl, {
            enableOfflineQueue: false,
            maxRetriesPerRequest: 1,
            connectTimeout: 3_000,
            commandTimeout: 1_000,
            retryStrategy: (times) => Math.min(times * 200, 2_000),
            connectionName: 'llm-gateway-router',
          })
        : null;
    this.client?.on('error', (err: Error) => this.failed(err));
  }

  onModuleInit(): void {
    if (!this.client) return;
    this.timer = setInterval(() => void this.sync(), ROUTER_SYNC_MS);
    this.timer.unref();
  }

  async onApplicationShutdown(): Promise<void> {
    clearInterval(this.timer);
    if (this.client) await closeRedis(this.client);
  }

  /** One round trip: this instance's news, then the cluster's numbers. Never throws. */
  async sync(now = Date.now()): Promise<void> {
    if (!this.client || this.running) return;
    this.running = true;
    const minute = Math.floor(now / 60_000);
    const p = this.client.pipeline();
    const pushed: [Deployment, { requests: number; tokens: number }][] = [];
    const active: [Deployment, number][] = [];
    for (const d of this.deployments) {
      const id = encodeURIComponent(d.id);
      const delta = d.usage.tracked ? d.usage.takeUnpushed(now) : null;
      if (delta) {
        const key = `${PREFIX}usage:${id}:${minute}`;
        p.hincrby(key, 'r', delta.requests).hincrby(key, 't', delta.tokens).expire(key, USAGE_TTL_S);
        pushed.push([d, delta]);
      }
      if (this.shareActive && (d.active > 0 || d.active !== (this.writtenActive.get(d) ?? 0))) {
        p.hset(`${PREFIX}active:${id}`, this.instance, `${d.active}:${now}`).expire(
          `${PREFIX}active:${id}`,
          HASH_TTL_S,
        );
        active.push([d, d.active]);
      }
      const own = d.latency?.average(now);
      if (own !== undefined)
        p.hset(`${PREFIX}latency:${id}`, this.instance, `${own}:${now}`).expire(`${PREFIX}latency:${id}`, HASH_TTL_S);
    }
    const writes = p.length;
    for (const d of this.deployments) {
      const id = encodeURIComponent(d.id);
      if (d.usage.tracked) p.hmget(`${PREFIX}usage:${id}:${minute}`, 'r', 't');
      if (this.shareActive) p.hgetall(`${PREFIX}active:${id}`);
      if (d.latency) p.hgetall(`${PREFIX}latency:${id}`);
    }
    try {
      const results = await p.exec();
      const err = results?.find(([e]) => e)?.[0];
      if (!results || err) throw err ?? new Error('no answer');
      for (const [d, n] of active) this.writtenActive.set(d, n);
      this.apply(
        results.slice(writes).map(([, v]) => v),
        now,
      );
      if (this.down) this.log.info('redis (routing state) is back: strategies see every instance again');
      this.down = false;
    } catch (err) {
      for (const [d, delta] of pushed) d.usage.unpush(now, delta);
      this.failed(err as Error);
    } finally {
      this.running = false;
    }
  }

  private apply(values: unknown[], now: number): void {
    let i = 0;
    for (const d of this.deployments) {
      if (d.usage.tracked) {
        const [r, t] = values[i++] as (string | null)[];
        d.usage.setCluster(now, Number(r ?? 0), Number(t ?? 0));
      }
      if (this.shareActive) d.othersActive = this.othersOf(values[i++], now).sum;
      if (d.latency) {
        const { sum, count } = this.othersOf(values[i++], now);
        d.latency.setOthers(sum, count);
      }
    }
  }

  /** Sum and count of the other instances' fresh `value:stamp` fields of a hash. */
  private othersOf(hash: unknown, now: number): { sum: number; count: number } {
    let sum = 0;
    let count = 0;
    for (const [instance, field] of Object.entries((hash ?? {}) as Record<string, string>)) {
      if (instance === this.instance) continue;
      const [value, at] = field.split(':').map(Number);
      if (!(now - at < STALE_MS) || !Number.isFinite(value)) continue;
      sum += value;
      count++;
    }
    return { sum, count };
  }

  /** Redis unreachable: local numbers only (the others' drop to 0), one warning until it is back. */
  private failed(err: Error): void {
    for (const d of this.deployments) {
      d.othersActive = 0;
      d.usage.setCluster(Date.now(), 0, 0);
      d.latency?.setOthers(0, 0);
    }
    if (this.down) return;
    this.down = true;
    this.log.warn(
      { err: err.message },
      'redis (routing state) unreachable: routing uses this instance’s own counts until it is back',
    );
  }
}
