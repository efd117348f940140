import { Controller, Get, HttpCode, Inject } from '@nestjs/common';
import type { Logger } from 'pino';
import { Public } from '../auth/decorators/public.decorator';
import { Errors } from '../common/errors/gateway-error';
import { DatabaseService } from '../database/database.service';
import { APP_LOGGER } from '../logging/logger';

@Controller('health')
export class HealthController {
  constructor(
    private readonly db: DatabaseService,
    @Inject(APP_LOGGER) private readonly log: Logger,
  ) {}

  /** LiteLLM spells it "liveliness"; both spellings answer while the process runs. */
  @Public()
  @Get(['liveliness', 'liveness'])
  @HttpCode(200)
  live() {
    return "I'm alive!";
  }

  @Public()
  @Get('readiness')
  async ready() {
    try {
      await this.db.ping();
    } catch (err) {
      // The driver's text (host, port, user) is for the operator's log, not for an unauthenticated caller.
      this.log.warn({ err: (err as Error).message }, 'readiness: database unreachable');
      throw Errors.unavailable('Not ready: the database is unreachable', 'database_unavailable');
    }
    return { status: 'healthy', db: 'connected', database: this.db.kind };
  }
}
