import { Body, Controller, HttpCode, Post, Req } from '@nestjs/common';
import type { FastifyRequest } from 'fastify';
import { callerOf } from './access/caller-of';
import { keyInfoV2Schema } from './dto/key-requests.dto';
import { parseInput } from './dto/parse';
import type { KeyView } from './key-view';
import { KeysService } from './keys.service';

/**
 * LiteLLM's `/v2/key/info`: several keys at once, `{"key": <keys as sent>, "info": [...]}`, read together. Each key
 * is visible as `/key/info` makes it for this caller; a key the caller may not read, or that does not exist, is left
 * out (as LiteLLM leaves out keys it does not find), so the answer tells nothing of keys outside the caller's scope.
 */
@Controller('v2/key')
export class KeyInfoV2Controller {
  constructor(private readonly keys: KeysService) {}

  @Post('info')
  @HttpCode(200)
  async info(@Body() body: unknown, @Req() req: FastifyRequest): Promise<{ key: string[]; info: KeyView[] }> {
    const { keys } = parseInput(keyInfoV2Schema, body);
    return { key: keys, info: await this.keys.infoMany(keys, callerOf(req)) };
  }
}
