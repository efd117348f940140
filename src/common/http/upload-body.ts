import { errorCodes, type FastifyRequest } from 'fastify';
import type { Readable } from 'node:stream';
import type { BodySlots } from './body-slots';

/**
 * The body "parser" of multipart/form-data (audio uploads): nothing is read here; the request stream itself becomes
 * the body, and the route that takes uploads streams it on, counting it against the body limit (proxy/upload). Its
 * body slot is freed when the stream ends. A route that takes no upload answers 415 here, as for any other type
 * that is not JSON, instead of judging the stream as its JSON body; Node discards what was not read once the answer
 * is sent.
 */
export function uploadStream(bodies: BodySlots, takesUpload: (routeUrl: string | undefined) => boolean) {
  return (req: FastifyRequest, payload: Readable, done: (err: Error | null, body?: unknown) => void): void => {
    if (!takesUpload(req.routeOptions.url)) {
      done(new errorCodes.FST_ERR_CTP_INVALID_MEDIA_TYPE(req.headers['content-type']));
      return;
    }
    payload.once('end', () => bodies.release(req));
    done(null, payload);
  };
}
