import { Body, Controller, HttpCode, Post, Req } from '@nestjs/common';
import type { FastifyRequest } from 'fastify';
import type { Caller } from '../auth/caller';
import { GatewayError } from '../common/errors/gateway-error';
import { callerOf } from './access/caller-of';
import { keyInfoV2Schema } from './dto/key-requests.dto';
import { parseInput } from './dto/parse';
import type { KeyView } from './key-view';
import { KeysService } from './keys.service';

/**
 * LiteLLM's `/v2/key/info`: several keys at once, `{"key": <keys as sent>, "info": [...]}`. Each key is read
 * exactly as `/key/info` reads it for this caller; a key the caller may not read, or that does not exist, is left
 * out (as LiteLLM leaves out keys it does not find), so the answer tells nothing of keys outside the caller's scope.
 */
@Controller('v2/key')
export class KeyInfoV2Controller {
  constructor(private readonly keys: KeysService) {}

  @Post('info')
  @HttpCode(200)
  async info(@Body() body: unknown, @Req() req: FastifyRequest): Promise<{ key: string[]; info: KeyView[] }> {
    const { keys } = parseInput(keyInfoV2Schema, body);
    return { key: keys, info: await this.readable(keys, callerOf(req)) };
  }

  private async readable(refs: readonly string[], caller: Caller): Promise<KeyView[]> {
    const seen = new Set<string>();
    const out: KeyView[] = [];
    for (const ref of refs) {
      let info: KeyView;
      try {
        ({ info } = await this.keys.info(ref, caller));
      } catch (err) {
        if (err instanceof GatewayError && (err.status === 403 || err.status === 404)) continue;
        throw err;
      }
      // A key named twice (by secret and by token) is answered once.
      if (seen.has(info.token)) continue;
      seen.add(info.token);
      out.push(info);
    }
    return out;
  }
}
