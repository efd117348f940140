import { FastifyAdapter } from '@nestjs/platform-fastify';
import type { FastifyHttpOptions, FastifyReply, FastifyRequest } from 'fastify';
import type { Server } from 'node:http';
import type { Logger } from 'pino';
import { sendError } from '../errors/openai-exception.filter';
import { lingerOverRefusedBody } from './linger';

type ErrorHandler = (err: unknown, req: FastifyRequest, reply: FastifyReply) => unknown;

/**
 * Fastify allows one error handler per scope, and Nest installs its own at init (RoutesResolver
 * .registerExceptionHandler -> adapter.setErrorHandler); a second `setErrorHandler` call overrides it and makes
 * Fastify warn (FSTWRN004). So ours is not a second handler: this adapter wraps Nest's when Nest installs it.
 * Errors Fastify raises itself (body parsing, size limit, content type: codes `FST_*`) are answered here with their
 * precise OpenAI error (`invalid_json`, 413 `request_too_large`, 415, ...); everything else goes to Nest's handler,
 * i.e. through the global OpenAIExceptionFilter.
 */
export class GatewayFastifyAdapter extends FastifyAdapter {
  constructor(
    options: FastifyHttpOptions<Server>,
    private readonly log: Logger,
  ) {
    super(options);
  }

  override setErrorHandler(nestHandler: ErrorHandler) {
    const log = this.log;
    return super.setErrorHandler(function (this: unknown, err: unknown, req: FastifyRequest, reply: FastifyReply) {
      if (isFastifyError(err)) {
        if ((err as { code: string }).code === 'FST_ERR_CTP_BODY_TOO_LARGE') lingerOverRefusedBody(req, reply);
        return sendError(reply, req, err, log);
      }
      return nestHandler.call(this, err, req, reply);
    });
  }
}

function isFastifyError(err: unknown): boolean {
  const code = (err as { code?: unknown } | null)?.code;
  return typeof code === 'string' && code.startsWith('FST_');
}
