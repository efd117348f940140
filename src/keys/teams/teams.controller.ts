import { Body, Controller, Get, HttpCode, Post, Query, Req } from '@nestjs/common';
import type { FastifyRequest } from 'fastify';
import { callerOf } from '../access/caller-of';
import { parseInput } from '../dto/parse';
import {
  deleteTeamsSchema,
  listTeamsSchema,
  memberAddSchema,
  memberDeleteSchema,
  memberUpdateSchema,
  newTeamSchema,
  teamInfoSchema,
  teamRefSchema,
  updateTeamSchema,
} from './team-requests.dto';
import { TeamsService } from './teams.service';

/** LiteLLM's team routes. Which callers reach them is the guard's decision; what each may do, the service's. */
@Controller('team')
export class TeamsController {
  constructor(private readonly teams: TeamsService) {}

  @Post('new')
  @HttpCode(200)
  create(@Body() body: unknown, @Req() req: FastifyRequest) {
    return this.teams.create(parseInput(newTeamSchema, body), callerOf(req));
  }

  @Get('info')
  info(@Query() query: unknown, @Req() req: FastifyRequest) {
    return this.teams.info(parseInput(teamInfoSchema, query, 'query').team_id, callerOf(req));
  }

  @Post('update')
  @HttpCode(200)
  update(@Body() body: unknown, @Req() req: FastifyRequest) {
    return this.teams.update(parseInput(updateTeamSchema, body), callerOf(req));
  }

  @Post('delete')
  @HttpCode(200)
  delete(@Body() body: unknown, @Req() req: FastifyRequest) {
    return this.teams.delete(parseInput(deleteTeamsSchema, body).team_ids, callerOf(req));
  }

  @Get('list')
  list(@Query() query: unknown, @Req() req: FastifyRequest) {
    return this.teams.list(parseInput(listTeamsSchema, query, 'query'), callerOf(req));
  }

  @Post('block')
  @HttpCode(200)
  block(@Body() body: unknown, @Req() req: FastifyRequest) {
    return this.teams.setBlocked(parseInput(teamRefSchema, body).team_id, true, callerOf(req));
  }

  @Post('unblock')
  @HttpCode(200)
  unblock(@Body() body: unknown, @Req() req: FastifyRequest) {
    return this.teams.setBlocked(parseInput(teamRefSchema, body).team_id, false, callerOf(req));
  }

  @Post('member_add')
  @HttpCode(200)
  memberAdd(@Body() body: unknown, @Req() req: FastifyRequest) {
    return this.teams.memberAdd(parseInput(memberAddSchema, body), callerOf(req));
  }

  @Post('member_update')
  @HttpCode(200)
  memberUpdate(@Body() body: unknown, @Req() req: FastifyRequest) {
    return this.teams.memberUpdate(parseInput(memberUpdateSchema, body), callerOf(req));
  }

  @Post('member_delete')
  @HttpCode(200)
  memberDelete(@Body() body: unknown, @Req() req: FastifyRequest) {
    return this.teams.memberDelete(parseInput(memberDeleteSchema, body), callerOf(req));
  }
}
