import { ArgumentsHost, Catch, ExceptionFilter, Inject } from '@nestjs/common';
import type { FastifyReply, FastifyRequest } from 'fastify';
import type { Logger } from 'pino';
import { APP_LOGGER } from '../../logging/logger';
import { asAnthropicError, isAnthropicRoute } from './anthropic-error';
import { toErrorReply } from './error-body';

/**
 * The single exception filter: every error leaves the gateway in the OpenAI error shape (Anthropic's on the routes of
 * its Messages API), never with a stack.
 */
@Catch()
export class OpenAIExceptionFilter implements ExceptionFilter {
  constructor(@Inject(APP_LOGGER) private readonly log: Logger) {}

  catch(exception: unknown, host: ArgumentsHost): void {
    const http = host.switchToHttp();
    const reply = http.getResponse<FastifyReply>();
    const req = http.getRequest<FastifyRequest>();
    sendError(reply, req, exception, this.log);
  }
}

export function sendError(reply: FastifyReply, req: FastifyRequest, exception: unknown, log: Logger): void {
  const generic = toErrorReply(exception, req.id);
  const out = isAnthropicRoute(req.url) ? asAnthropicError(generic, req.id) : generic;
  if (out.internal) log.error({ reqId: req.id, err: exception }, 'unhandled error');
  if (reply.sent || reply.raw.headersSent) {
    // A streamed answer already started: it cannot change status any more; end it.
    if (!reply.raw.writableEnded) reply.raw.end();
    return;
  }
  reply.status(out.status).header('content-type', out.contentType);
  if (out.headers) reply.headers(out.headers);
  reply.send(out.body);
}
