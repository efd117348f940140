import { DynamicModule, Global, Module } from '@nestjs/common';
import { ConfigModule as NestConfigModule } from '@nestjs/config';
import { GATEWAY_CONFIG, type GatewayConfig } from './gateway-config';

/**
 * Makes the already-validated GatewayConfig injectable everywhere (token GATEWAY_CONFIG), and registers it with
 * @nestjs/config under the `gateway` namespace for code that prefers ConfigService. The config is loaded once,
 * before Nest starts (see main.ts), so a bad config fails with one line and no Nest boot noise.
 */
@Global()
@Module({})
export class GatewayConfigModule {
  static forRoot(config: GatewayConfig): DynamicModule {
    return {
      module: GatewayConfigModule,
      imports: [NestConfigModule.forRoot({ ignoreEnvFile: true, load: [() => ({ gateway: config })], cache: true })],
      providers: [{ provide: GATEWAY_CONFIG, useValue: config }],
      exports: [GATEWAY_CONFIG],
    };
  }
}
