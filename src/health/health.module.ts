import { Module } from '@nestjs/common';
import { ProxyModule } from '../proxy/proxy.module';
import { DeploymentsHealthController } from './deployments-health.controller';
import { DeploymentsHealthService } from './deployments-health.service';
import { HealthController } from './health.controller';

/** The public probes (`/health/liveliness`, `/health/readiness`) and the authenticated deployment check (`/health`). */
@Module({
  imports: [ProxyModule],
  controllers: [HealthController, DeploymentsHealthController],
  providers: [DeploymentsHealthService],
})
export class HealthModule {}
