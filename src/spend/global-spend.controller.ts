import { Body, Controller, Get, HttpCode, Post, Query, Req } from '@nestjs/common';
import type { FastifyRequest } from 'fastify';
import { parseInput } from '../keys/dto/parse';
import { callerOf } from '../keys/access/caller-of';
import { GlobalSpendService } from './global-spend.service';
import {
  globalActivityQuery,
  globalEndUsersBody,
  globalSpendKeysQuery,
  globalSpendModelsQuery,
  globalSpendTagsQuery,
  noQuery,
  spendTagsQuery,
} from './global-spend-queries';

/** LiteLLM's spend reads for its admin UI and scripts (`spend_tracking_routes`); who may call them is the guard's. */
@Controller()
export class GlobalSpendController {
  constructor(private readonly spend: GlobalSpendService) {}

  /** Requests and spend per request tag. */
  @Get('spend/tags')
  tags(@Query() query: unknown, @Req() req: FastifyRequest) {
    const q = parseInput(spendTagsQuery, query, 'query');
    return this.spend.tags(q.start_date, q.end_date, callerOf(req));
  }

  /** Spend and requests per request tag, as LiteLLM's admin UI reads them (`spend_per_tag`). */
  @Get('global/spend/tags')
  async spendPerTag(@Query() query: unknown, @Req() req: FastifyRequest) {
    const q = parseInput(globalSpendTagsQuery, query, 'query');
    return this.spend.spendPerTag(q.start_date, q.end_date, q.tags, callerOf(req));
  }

  /** Spend of the last 30 days, and the proxy-wide budget. */
  @Get('global/spend')
  total(@Query() query: unknown, @Req() req: FastifyRequest) {
    parseInput(noQuery, query, 'query');
    return this.spend.total(callerOf(req));
  }

  /** The keys that spent most in the last 30 days. */
  @Get('global/spend/keys')
  keys(@Query() query: unknown, @Req() req: FastifyRequest) {
    return this.spend.keys(parseInput(globalSpendKeysQuery, query, 'query').limit, callerOf(req));
  }

  /** Spend per day and team over the last 30 days. */
  @Get('global/spend/teams')
  teams(@Query() query: unknown, @Req() req: FastifyRequest) {
    parseInput(noQuery, query, 'query');
    return this.spend.teams(callerOf(req));
  }

  /** The models that spent most in the last 30 days. */
  @Get('global/spend/models')
  models(@Query() query: unknown, @Req() req: FastifyRequest) {
    return this.spend.models(parseInput(globalSpendModelsQuery, query, 'query').limit, callerOf(req));
  }

  /** The end users that spent most in a window, as LiteLLM answers its POST. */
  @Post('global/spend/end_users')
  @HttpCode(200)
  endUsers(@Body() body: unknown, @Req() req: FastifyRequest) {
    return this.spend.endUsers(parseInput(globalEndUsersBody, body, 'optional body'), callerOf(req));
  }

  /** Requests and tokens per day between two dates. */
  @Get('global/activity')
  activity(@Query() query: unknown, @Req() req: FastifyRequest) {
    return this.spend.activity(parseInput(globalActivityQuery, query, 'query'), callerOf(req));
  }
}
