import { Body, Controller, Get, HttpCode, Param, Post, Query, Req } from '@nestjs/common';
import type { FastifyRequest } from 'fastify';
import { z } from 'zod';
import type { Caller } from '../auth/caller';
import { Errors } from '../common/errors/gateway-error';
import {
  deleteKeysSchema,
  generateKeySchema,
  keyInfoSchema,
  keyRefSchema,
  listKeysSchema,
  regenerateKeySchema,
  updateKeySchema,
} from './dto/key-requests.dto';
import { parseInput } from './dto/parse';
import { keyHealth, type KeyHealthResponse } from './key-health';
import { KeyCache } from './key-cache.service';
import { KeysService } from './keys.service';

/** A body whose fields are not read. */
const anyObject = z.looseObject({});

/**
 * LiteLLM's key management routes. Who may call them is the global auth guard's decision (management routes are
 * admin-only by default; /key/info is an info route a virtual key may call about itself).
 */
@Controller('key')
export class KeysController {
  constructor(
    private readonly keys: KeysService,
    private readonly cache: KeyCache,
  ) {}

  @Post('generate')
  @HttpCode(200)
  generate(@Body() body: unknown, @Req() req: FastifyRequest) {
    return this.keys.generate(parseInput(generateKeySchema, body), callerOf(req));
  }

  @Get('info')
  info(@Query() query: unknown, @Req() req: FastifyRequest) {
    return this.keys.info(parseInput(keyInfoSchema, query, 'query').key, callerOf(req));
  }

  /** The calling key's own health; the master key and JWTs carry no key metadata, so are healthy. */
  @Post('health')
  @HttpCode(200)
  async health(@Body() body: unknown, @Req() req: FastifyRequest): Promise<KeyHealthResponse> {
    // LiteLLM's route reads no body: any object (or none) is taken, anything else refused as on every admin route.
    parseInput(anyObject, body, 'optional body');
    const caller = callerOf(req);
    const key = caller.via === 'virtual_key' && caller.token ? await this.cache.findByHash(caller.token) : null;
    return keyHealth(key?.metadata);
  }

  @Post('update')
  @HttpCode(200)
  update(@Body() body: unknown, @Req() req: FastifyRequest) {
    return this.keys.update(parseInput(updateKeySchema, body), callerOf(req));
  }

  @Post('delete')
  @HttpCode(200)
  delete(@Body() body: unknown, @Req() req: FastifyRequest) {
    return this.keys.delete(parseInput(deleteKeysSchema, body), callerOf(req));
  }

  @Post('regenerate')
  @HttpCode(200)
  regenerate(@Body() body: unknown, @Req() req: FastifyRequest) {
    return this.keys.regenerate(parseInput(regenerateKeySchema, body, 'optional body'), undefined, callerOf(req));
  }

  @Post(':key/regenerate')
  @HttpCode(200)
  regenerateByPath(@Param('key') key: string, @Body() body: unknown, @Req() req: FastifyRequest) {
    return this.keys.regenerate(parseInput(regenerateKeySchema, body, 'optional body'), key, callerOf(req));
  }

  @Get('list')
  list(@Query() query: unknown, @Req() req: FastifyRequest) {
    return this.keys.list(parseInput(listKeysSchema, query, 'query'), callerOf(req));
  }

  @Post('block')
  @HttpCode(200)
  block(@Body() body: unknown, @Req() req: FastifyRequest) {
    return this.keys.setBlocked(parseInput(keyRefSchema, body).key, true, callerOf(req));
  }

  @Post('unblock')
  @HttpCode(200)
  unblock(@Body() body: unknown, @Req() req: FastifyRequest) {
    return this.keys.setBlocked(parseInput(keyRefSchema, body).key, false, callerOf(req));
  }
}

/** The guard always sets the caller on routes that reach here; without it (no guard) nothing is allowed. */
function callerOf(req: FastifyRequest): Caller {
  if (!req.caller) throw Errors.unauthorized('Authentication required');
  return req.caller;
}
