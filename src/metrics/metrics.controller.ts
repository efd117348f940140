import { Controller, Get, Header } from '@nestjs/common';
import { Public } from '../auth/decorators/public.decorator';
import { GatewayMetrics } from './gateway-metrics';

/** `GET /metrics` (a public route): Prometheus text. Counts and timings only: no key, token or address. */
@Controller()
export class MetricsController {
  constructor(private readonly metrics: GatewayMetrics) {}

  @Public()
  @Get('metrics')
  @Header('content-type', 'text/plain; version=0.0.4; charset=utf-8')
  @Header('cache-control', 'no-store')
  scrape(): string {
    return this.metrics.render();
  }
}
