import { Controller, Get, Query, Req } from '@nestjs/common';
import type { FastifyRequest } from 'fastify';
import type { Caller } from '../auth/caller';
import { Errors } from '../common/errors/gateway-error';
import { parseInput } from '../keys/dto/parse';
import { SpendReadService } from './spend-read.service';
import { spendLogsQuery, spendReportQuery } from './spend-queries';

/** LiteLLM's spend tracking routes (`spend_tracking_routes`): who may call them is the global guard's decision. */
@Controller()
export class SpendController {
  constructor(private readonly spend: SpendReadService) {}

  /** Spend log rows, newest first, filtered and paged. */
  @Get('spend/logs')
  logs(@Query() query: unknown, @Req() req: FastifyRequest) {
    return this.spend.logs(parseInput(spendLogsQuery, query, 'query'), callerOf(req));
  }

  /** Spend, tokens and requests per day and group (team, key, user, model or customer). */
  @Get('global/spend/report')
  report(@Query() query: unknown, @Req() req: FastifyRequest) {
    return this.spend.report(parseInput(spendReportQuery, query, 'query'), callerOf(req));
  }
}

function callerOf(req: FastifyRequest): Caller {
  if (!req.caller) throw Errors.unauthorized('Authentication required');
  return req.caller;
}
