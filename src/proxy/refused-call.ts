import type { FastifyReply, FastifyRequest } from 'fastify';
import { errorOutcome } from '../common/errors/error-body';
import { routeOf } from '../common/http/route-url';
import { CALL_TRACED, CallTrace, type CallRecorder } from './call-record';
import { operationOfRoute } from './model-routes';

/**
 * Fastify's onError hook (common/http/pipeline.ts) for model calls refused after their caller was accepted and
 * before their handler ran: a body not read (too large, another content type, no body slot free) or not JSON. The
 * handler records every call it runs; these have a row too, with the status answered. A caller refused (401, 403)
 * made no call.
 */
export function refusedCalls(recorder: CallRecorder) {
  return (req: FastifyRequest, reply: FastifyReply, err: unknown): void => {
    if (req.caller === undefined || req[CALL_TRACED]) return;
    const op = operationOfRoute(routeOf(req));
    if (op === undefined) return;
    const { status } = errorOutcome(err);
    if (status === 401 || status === 403) return;
    const now = performance.now();
    const trace = new CallTrace(req, op, now - reply.elapsedTime);
    // The Azure forms name the model group in the path.
    const group = (req.params as { model?: unknown } | undefined)?.model;
    if (typeof group === 'string') trace.model = group.slice(0, 256);
    trace.failed(err);
    trace.endedAt = now;
    recorder.record(trace);
  };
}
