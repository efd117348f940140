import type { FastifyRequest } from 'fastify';
import type { Caller } from '../../auth/caller';
import { Errors } from '../../common/errors/gateway-error';

/** The guard always sets the caller on routes that reach a controller; without it (no guard) nothing is allowed. */
export function callerOf(req: FastifyRequest): Caller {
  if (!req.caller) throw Errors.unauthorized('Authentication required');
  return req.caller;
}
