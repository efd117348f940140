import type { FastifyRequest } from 'fastify';
import type { Readable } from 'node:stream';

/**
 * The body "parser" of multipart/form-data (audio uploads): nothing is read here; the request stream itself becomes
 * the body, and the route that takes uploads streams it on, counting it against the body limit (proxy/upload).
 * Elsewhere such a body is no JSON object and is refused as one; Node discards what was not read once the answer is
 * sent.
 */
export function uploadStream(
  _req: FastifyRequest,
  payload: Readable,
  done: (err: Error | null, body?: unknown) => void,
): void {
  done(null, payload);
}
