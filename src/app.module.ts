import { DynamicModule, Module } from '@nestjs/common';
import { APP_FILTER } from '@nestjs/core';
import type { Logger } from 'pino';
import { OpenAIExceptionFilter } from './common/errors/openai-exception.filter';
import { GatewayConfigModule } from './config/config.module';
import type { GatewayConfig } from './config/gateway-config';
import { DatabaseModule } from './database/database.module';
import { DocsModule } from './docs/docs.module';
import { HealthModule } from './health/health.module';
import { AuthModule } from './auth/auth.module';
import { KeysModule } from './keys/keys.module';
import { ProxyModule } from './proxy/proxy.module';
import { LoggingModule } from './logging/logging.module';
import { MetricsModule } from './metrics/metrics.module';
import { SpendModule } from './spend/spend.module';
import { UiModule } from './ui/ui.module';

@Module({})
export class AppModule {
  static forRoot(config: GatewayConfig, logger: Logger): DynamicModule {
    return {
      module: AppModule,
      imports: [
        GatewayConfigModule.forRoot(config),
        LoggingModule.forRoot(logger),
        MetricsModule.forRoot(config),
        DatabaseModule,
        HealthModule,
        KeysModule,
        AuthModule,
        ProxyModule,
        SpendModule,
        DocsModule,
        UiModule,
      ],
      providers: [{ provide: APP_FILTER, useClass: OpenAIExceptionFilter }],
    };
  }
}
