import { Global, Module } from '@nestjs/common';
import type { Logger } from 'pino';
import { GATEWAY_CONFIG, type GatewayConfig } from '../config/gateway-config';
import { APP_LOGGER } from '../logging/logger';
import { CALL_ACCOUNTING } from '../proxy/call-accounting';
import { AccountingService } from './accounting.service';
import { KeyEventsService } from './invalidation/key-events.service';
import { KeyCache } from './key-cache.service';
import { KEY_LOOKUP } from './key-record';
import { KeysController } from './keys.controller';
import { KeysRepository } from './keys.repository';
import { KeysService } from './keys.service';
import { LIMITER } from './limits/limiter';
import { LimiterLifecycle, createLimiter } from './limits/limiter.factory';
import { KeysRedis } from './redis/keys-redis.service';
import { SpendWriter } from './spend/spend-writer.service';
import { UnpricedBudgetCheck } from './spend/unpriced-budget-check';

/**
 * Virtual keys: management routes, the cached lookup the auth guard uses (KEY_LOOKUP), and the per-call
 * enforcement and spend accounting the proxy uses (CALL_ACCOUNTING). Global so auth and proxy can inject both.
 */
@Global()
@Module({
  controllers: [KeysController],
  providers: [
    KeysRepository,
    KeysRedis,
    KeyEventsService,
    SpendWriter,
    KeyCache,
    KeysService,
    AccountingService,
    {
      provide: LIMITER,
      inject: [GATEWAY_CONFIG, KeysRedis, KeyEventsService, APP_LOGGER],
      useFactory: (config: GatewayConfig, redis: KeysRedis, events: KeyEventsService, log: Logger) =>
        createLimiter(config, redis, events.instanceId, log),
    },
    LimiterLifecycle,
    UnpricedBudgetCheck,
    { provide: KEY_LOOKUP, useExisting: KeyCache },
    { provide: CALL_ACCOUNTING, useExisting: AccountingService },
  ],
  exports: [KEY_LOOKUP, CALL_ACCOUNTING],
})
export class KeysModule {}
