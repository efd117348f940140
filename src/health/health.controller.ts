import { Controller, Get, HttpCode } from '@nestjs/common';
import { Public } from '../auth/decorators/public.decorator';
import { Errors } from '../common/errors/gateway-error';
import { DatabaseService } from '../database/database.service';

@Controller('health')
export class HealthController {
  constructor(private readonly db: DatabaseService) {}

  /** LiteLLM spells it "liveliness"; both spellings answer while the process runs. */
  @Public()
  @Get(['liveliness', 'liveness'])
  @HttpCode(200)
  live() {
    return 'I\'m alive!';
  }

  @Public()
  @Get('readiness')
  async ready() {
    try {
      await this.db.ping();
    } catch (err) {
      throw Errors.unavailable(`Not ready: database unreachable (${(err as Error).message})`, 'database_unavailable');
    }
    return { status: 'healthy', db: 'connected', database: this.db.kind };
  }
}
