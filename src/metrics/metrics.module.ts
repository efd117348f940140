import { DynamicModule, Global, Module } from '@nestjs/common';
import type { GatewayConfig } from '../config/gateway-config';
import { GatewayMetrics } from './gateway-metrics';
import { AdminMetricsController, MetricsController } from './metrics.controller';

/** Prometheus metrics: counted by the HTTP hooks (common/http/pipeline.ts) and the forwarder, served on `GET /metrics`. */
@Global()
@Module({})
export class MetricsModule {
  static forRoot(config: GatewayConfig): DynamicModule {
    return {
      module: MetricsModule,
      controllers: [config.metrics.requireAuth ? AdminMetricsController : MetricsController],
      providers: [GatewayMetrics],
      exports: [GatewayMetrics],
    };
  }
}
