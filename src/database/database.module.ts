import { Global, Module } from '@nestjs/common';
import type { Logger } from 'pino';
import { GATEWAY_CONFIG, type GatewayConfig } from '../config/gateway-config';
import { APP_LOGGER } from '../logging/logger';
import { DatabaseService } from './database.service';

@Global()
@Module({
  providers: [
    {
      provide: DatabaseService,
      inject: [GATEWAY_CONFIG, APP_LOGGER],
      useFactory: (config: GatewayConfig, log: Logger) => new DatabaseService(config, log).open(),
    },
  ],
  exports: [DatabaseService],
})
export class DatabaseModule {}
