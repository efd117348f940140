import { Inject, Injectable, OnModuleDestroy } from '@nestjs/common';
import type { Logger } from 'pino';
import type { GatewayConfig } from '../../config/gateway-config';
import type { KeysRedis } from '../redis/keys-redis.service';
import { LIMITER, type Limiter } from './limiter';
import { MemoryLimiter } from './memory-limiter';
import { RedisLimiter } from './redis-limiter';

/** Redis-backed when REDIS_URL is set (instances share limits), else in-process. */
export function createLimiter(config: GatewayConfig, redis: KeysRedis, instanceId: string, log: Logger): Limiter {
  if (!redis.client) return new MemoryLimiter();
  // A parallel slot left by a crashed instance expires after the longest a call can take (timeout x attempts).
  const leaseMs = Math.max(60, config.router.timeoutSec * (config.router.numRetries + 1) + 30) * 1000;
  return new RedisLimiter(redis.client, instanceId, leaseMs, log);
}

/** Stops the limiter's timers at shutdown. */
@Injectable()
export class LimiterLifecycle implements OnModuleDestroy {
  constructor(@Inject(LIMITER) private readonly limiter: Limiter & { close?: () => void }) {}
  onModuleDestroy(): void {
    this.limiter.close?.();
  }
}
