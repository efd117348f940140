import { isUtf8 } from 'node:buffer';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { Errors } from '../errors/gateway-error';

/**
 * The JSON body parser: Fastify's own (prototype-poisoning protection, the empty-body and invalid-JSON errors),
 * fed only bodies that are valid UTF-8. JSON between systems must be UTF-8 (RFC 8259 §8.1); a body that is not is
 * refused with a 400 instead of being decoded with replacement characters and forwarded changed, whether it came
 * with a Content-Length or chunked.
 */
export function useStrictJsonBodies(fastify: FastifyInstance): void {
  const parseJson = fastify.getDefaultJsonParser('error', 'error');
  fastify.removeContentTypeParser('application/json');
  fastify.addContentTypeParser('application/json', { parseAs: 'buffer' }, (req: FastifyRequest, body: Buffer, done) => {
    if (!isUtf8(body)) {
      done(Errors.badRequest('Request body is not valid UTF-8', null, 'invalid_json'), undefined);
      return;
    }
    void parseJson(req, body.toString('utf8'), done);
  });
}
