import { Body, Controller, Get, HttpCode, Post, Query, Req } from '@nestjs/common';
import type { FastifyRequest } from 'fastify';
import { callerOf } from '../access/caller-of';
import { parseInput } from '../dto/parse';
import { AVAILABLE_ROLES, type RoleDescription } from './available-roles';
import {
  deleteUsersSchema,
  listUsersSchema,
  newUserSchema,
  updateUserSchema,
  userInfoSchema,
} from './user-requests.dto';
import { UsersService } from './users.service';

/** LiteLLM's user routes (internal users of the gateway). */
@Controller('user')
export class UsersController {
  constructor(private readonly users: UsersService) {}

  @Post('new')
  @HttpCode(200)
  create(@Body() body: unknown, @Req() req: FastifyRequest) {
    return this.users.create(parseInput(newUserSchema, body), callerOf(req));
  }

  @Get('info')
  info(@Query() query: unknown, @Req() req: FastifyRequest) {
    return this.users.info(parseInput(userInfoSchema, query, 'query').user_id, callerOf(req));
  }

  @Post('update')
  @HttpCode(200)
  update(@Body() body: unknown, @Req() req: FastifyRequest) {
    return this.users.update(parseInput(updateUserSchema, body), callerOf(req));
  }

  @Post('delete')
  @HttpCode(200)
  delete(@Body() body: unknown, @Req() req: FastifyRequest) {
    return this.users.delete(parseInput(deleteUsersSchema, body).user_ids, callerOf(req));
  }

  /** Who may call it is the guard's decision (an admin's read, as in LiteLLM); it answers no stored data. */
  @Get('available_roles')
  availableRoles(): Readonly<Record<string, RoleDescription>> {
    return AVAILABLE_ROLES;
  }

  @Get('list')
  list(@Query() query: unknown, @Req() req: FastifyRequest) {
    return this.users.list(parseInput(listUsersSchema, query, 'query'), callerOf(req));
  }
}
