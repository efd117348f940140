import type { FastifyRequest } from 'fastify';
import type { Readable } from 'node:stream';
import type { BodySlots } from './body-slots';

/**
 * The body "parser" of multipart/form-data (audio uploads): nothing is read here; the request stream itself becomes
 * the body, and the route that takes uploads streams it on, counting it against the body limit (proxy/upload). Its
 * body slot is freed when the stream ends. Elsewhere such a body is no JSON object and is refused as one; Node
 * discards what was not read once the answer is sent.
 */
export function uploadStream(bodies: BodySlots) {
  return (req: FastifyRequest, payload: Readable, done: (err: Error | null, body?: unknown) => void): void => {
    payload.once('end', () => bodies.release(req));
    done(null, payload);
  };
}
