import { Inject, Injectable, OnModuleDestroy } from '@nestjs/common';
import type { Logger } from 'pino';
import type { GatewayConfig } from '../../config/gateway-config';
import type { GatewayMetrics } from '../../metrics/gateway-metrics';
import type { KeysRedis } from '../redis/keys-redis.service';
import { LIMITER, type Limiter } from './limiter';
import { MemoryLimiter } from './memory-limiter';
import { RedisLimiter } from './redis-limiter';

/** Redis-backed when REDIS_URL is set (instances share limits), else in-process. */
export function createLimiter(
  config: GatewayConfig,
  redis: KeysRedis,
  instanceId: string,
  log: Logger,
  metrics: GatewayMetrics,
  namespace = '',
): Limiter {
  if (!redis.client) return new MemoryLimiter();
  const limiter = new RedisLimiter(redis.client, instanceId, Math.max(1_000, config.limits.leaseMs), log, namespace);
  metrics.collectors.push((out) =>
    out.push(
      '# HELP gateway_redis_breaker_open 1 while Redis is held unavailable for rate limits and budgets (each instance decides alone).',
      '# TYPE gateway_redis_breaker_open gauge',
      `gateway_redis_breaker_open ${limiter.breaker.open ? 1 : 0}`,
    ),
  );
  return limiter;
}

/** Stops the limiter's timers at shutdown. */
@Injectable()
export class LimiterLifecycle implements OnModuleDestroy {
  constructor(@Inject(LIMITER) private readonly limiter: Limiter & { close?: () => void }) {}
  onModuleDestroy(): void {
    this.limiter.close?.();
  }
}
