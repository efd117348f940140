import { isUtf8 } from 'node:buffer';
import type { FastifyBodyParser, FastifyInstance } from 'fastify';
import { Errors } from '../errors/gateway-error';
import type { BodySlots } from './body-slots';

/**
 * The JSON body parser (installed by pipeline.ts, with `parseAs: 'buffer'`): Fastify's own (prototype-poisoning
 * protection, the empty-body and invalid-JSON errors), fed only bodies that are valid UTF-8. JSON between systems
 * must be UTF-8; a body that is not is refused with a 400 instead of being decoded with replacement characters and
 * forwarded changed, whether it came with a Content-Length or chunked.
 */
export function strictJsonParser(fastify: FastifyInstance, bodies: BodySlots): FastifyBodyParser<Buffer> {
  const parseJson = fastify.getDefaultJsonParser('error', 'error');
  return (req, body, done) => {
    bodies.release(req); // read whole: its slot is free for another
    if (!isUtf8(body)) {
      done(Errors.badRequest('Request body is not valid UTF-8', null, 'invalid_json'), undefined);
      return;
    }
    void parseJson(req, body.toString('utf8'), done);
  };
}
