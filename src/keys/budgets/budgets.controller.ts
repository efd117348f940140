import { Body, Controller, Get, HttpCode, Post, Query, Req } from '@nestjs/common';
import type { FastifyRequest } from 'fastify';
import { callerOf } from '../access/caller-of';
import { parseInput } from '../dto/parse';
import {
  budgetInfoSchema,
  budgetSettingsSchema,
  deleteBudgetSchema,
  listBudgetsSchema,
  newBudgetSchema,
  updateBudgetSchema,
} from './budget-requests.dto';
import { BudgetsService } from './budgets.service';

/** LiteLLM's budget routes. Which callers reach them is the guard's decision; what each may do, the service's. */
@Controller('budget')
export class BudgetsController {
  constructor(private readonly budgets: BudgetsService) {}

  @Post('new')
  @HttpCode(200)
  create(@Body() body: unknown, @Req() req: FastifyRequest) {
    return this.budgets.create(parseInput(newBudgetSchema, body), callerOf(req));
  }

  @Post('update')
  @HttpCode(200)
  update(@Body() body: unknown, @Req() req: FastifyRequest) {
    return this.budgets.update(parseInput(updateBudgetSchema, body), callerOf(req));
  }

  @Post('info')
  @HttpCode(200)
  info(@Body() body: unknown, @Req() req: FastifyRequest) {
    return this.budgets.info(parseInput(budgetInfoSchema, body).budgets, callerOf(req));
  }

  @Get('settings')
  settings(@Query() query: unknown, @Req() req: FastifyRequest) {
    return this.budgets.settings(parseInput(budgetSettingsSchema, query, 'query').budget_id, callerOf(req));
  }

  @Get('list')
  list(@Query() query: unknown, @Req() req: FastifyRequest) {
    parseInput(listBudgetsSchema, query, 'query');
    return this.budgets.list(callerOf(req));
  }

  @Post('delete')
  @HttpCode(200)
  delete(@Body() body: unknown, @Req() req: FastifyRequest) {
    return this.budgets.delete(parseInput(deleteBudgetSchema, body).id, callerOf(req));
  }
}
