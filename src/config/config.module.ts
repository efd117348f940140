import { DynamicModule, Global, Module } from '@nestjs/common';
import { ConfigService, ConfigModule as NestConfigModule } from '@nestjs/config';
import { GATEWAY_CONFIG, type GatewayConfig } from './gateway-config';

/** What ConfigService holds: the validated GatewayConfig under `gateway`, typed for `get('gateway')`. */
export interface GatewaySettings {
  gateway: GatewayConfig;
}

/** ConfigService typed with the gateway's settings (`config.get('gateway')` is a GatewayConfig, never undefined). */
export type GatewayConfigService = ConfigService<GatewaySettings, true>;

/**
 * Registers the already-validated GatewayConfig with @nestjs/config (namespace `gateway`), and provides it as
 * GATEWAY_CONFIG from ConfigService: one source, two ways to inject it. The config is loaded once, before Nest starts
 * (see main.ts and process-config.ts), so a bad config fails with one line and no Nest boot noise.
 */
@Global()
@Module({})
export class GatewayConfigModule {
  static forRoot(config: GatewayConfig): DynamicModule {
    const settings: GatewaySettings = { gateway: config };
    return {
      module: GatewayConfigModule,
      imports: [NestConfigModule.forRoot({ ignoreEnvFile: true, load: [() => settings], cache: true })],
      providers: [
        {
          provide: GATEWAY_CONFIG,
          inject: [ConfigService],
          useFactory: (service: GatewayConfigService): GatewayConfig => service.get<GatewayConfig>('gateway'),
        },
      ],
      exports: [GATEWAY_CONFIG],
    };
  }
}
