import { Controller, Get, Header, Req } from '@nestjs/common';
import type { FastifyRequest } from 'fastify';
import { Public } from '../auth/decorators/public.decorator';
import { Errors } from '../common/errors/gateway-error';
import { GatewayMetrics } from './gateway-metrics';

/** `GET /metrics` (a public route): Prometheus text. Counts and timings only: no key, team, user or address. */
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

/**
 * `GET /metrics` with `litellm_settings.require_auth_for_metrics_endpoint`: an admin credential (master key or admin
 * JWT) is needed, and the call metrics carry LiteLLM's labels naming keys, teams, users and end users.
 */
@Controller()
export class AdminMetricsController {
  constructor(private readonly metrics: GatewayMetrics) {}

  @Get('metrics')
  @Header('content-type', 'text/plain; version=0.0.4; charset=utf-8')
  @Header('cache-control', 'no-store')
  scrape(@Req() req: FastifyRequest): string {
    const role = req.caller?.role;
    if (role !== 'master' && role !== 'admin')
      throw Errors.forbidden('/metrics needs an admin credential (require_auth_for_metrics_endpoint)');
    return this.metrics.render();
  }
}
