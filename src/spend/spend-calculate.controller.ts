import { Body, Controller, HttpCode, Post } from '@nestjs/common';
import { parseInput } from '../keys/dto/parse';
import { RouterService } from '../proxy/router/router.service';
import { calculateSpend, spendCalculateBody } from './spend-calculate';

/** LiteLLM's `/spend/calculate` (a spend tracking route): the cost of a call, before or after it is made. */
@Controller('spend')
export class SpendCalculateController {
  constructor(private readonly router: RouterService) {}

  @Post('calculate')
  @HttpCode(200)
  calculate(@Body() body: unknown): { cost: number } {
    return calculateSpend(this.router, parseInput(spendCalculateBody, body));
  }
}
