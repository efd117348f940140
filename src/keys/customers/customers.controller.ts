import { Body, Controller, Get, HttpCode, Post, Query, Req } from '@nestjs/common';
import type { FastifyRequest } from 'fastify';
import { callerOf } from '../access/caller-of';
import { parseInput } from '../dto/parse';
import {
  customerIdsSchema,
  customerInfoSchema,
  listCustomersSchema,
  newCustomerSchema,
  updateCustomerSchema,
} from './customer-requests.dto';
import { CustomersService } from './customers.service';

/**
 * LiteLLM's customer routes: end users, the `user` field of model calls. LiteLLM still serves them under their
 * former `/end_user/*` names too, so clients written against those keep working.
 */
@Controller(['customer', 'end_user'])
export class CustomersController {
  constructor(private readonly customers: CustomersService) {}

  @Post('new')
  @HttpCode(200)
  create(@Body() body: unknown, @Req() req: FastifyRequest) {
    return this.customers.create(parseInput(newCustomerSchema, body), callerOf(req));
  }

  @Get('info')
  info(@Query() query: unknown, @Req() req: FastifyRequest) {
    return this.customers.info(parseInput(customerInfoSchema, query, 'query').end_user_id, callerOf(req));
  }

  @Post('update')
  @HttpCode(200)
  update(@Body() body: unknown, @Req() req: FastifyRequest) {
    return this.customers.update(parseInput(updateCustomerSchema, body), callerOf(req));
  }

  @Post('delete')
  @HttpCode(200)
  delete(@Body() body: unknown, @Req() req: FastifyRequest) {
    return this.customers.delete(parseInput(customerIdsSchema, body).user_ids, callerOf(req));
  }

  @Get('list')
  list(@Query() query: unknown, @Req() req: FastifyRequest) {
    parseInput(listCustomersSchema, query, 'query');
    return this.customers.list(callerOf(req));
  }

  @Post('block')
  @HttpCode(200)
  block(@Body() body: unknown, @Req() req: FastifyRequest) {
    return this.customers.setBlocked(parseInput(customerIdsSchema, body).user_ids, true, callerOf(req));
  }

  @Post('unblock')
  @HttpCode(200)
  unblock(@Body() body: unknown, @Req() req: FastifyRequest) {
    return this.customers.setBlocked(parseInput(customerIdsSchema, body).user_ids, false, callerOf(req));
  }
}
