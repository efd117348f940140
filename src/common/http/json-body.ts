import { isUtf8 } from 'node:buffer';
import type { FastifyBodyParser, FastifyInstance } from 'fastify';
import { Errors } from '../errors/gateway-error';
import type { BodySlots } from './body-slots';

/** The client's JSON body as received: its bytes, and its length as text once decoded. */
export interface RawJson {
  readonly bytes: Buffer;
  readonly chars: number;
}

/** Where a request keeps its JSON body's bytes (declared on every request, null until a JSON body is parsed). */
export const RAW_JSON = Symbol('rawJson');

declare module 'fastify' {
  interface FastifyRequest {
    [RAW_JSON]: RawJson | null;
  }
}

/**
 * The JSON body parser (installed by pipeline.ts, with `parseAs: 'buffer'`): Fastify's own (prototype-poisoning
 * protection, the empty-body and invalid-JSON errors), fed only bodies that are valid UTF-8. JSON between systems
 * must be UTF-8; a body that is not is refused with a 400 instead of being decoded with replacement characters and
 * forwarded changed, whether it came with a Content-Length or chunked. The bytes stay on the request, for a model
 * call to send on (proxy/upstream/client-json.ts).
 */
export function strictJsonParser(fastify: FastifyInstance, bodies: BodySlots): FastifyBodyParser<Buffer> {
  const parseJson = fastify.getDefaultJsonParser('error', 'error');
  return (req, body, done) => {
    bodies.release(req); // read whole: its slot is free for another
    if (!isUtf8(body)) {
      done(Errors.badRequest('Request body is not valid UTF-8', null, 'invalid_json'), undefined);
      return;
    }
    const text = body.toString('utf8');
    req[RAW_JSON] = { bytes: body, chars: text.length };
    if (mayPoison(text)) return void parseJson(req, text, done);
    let parsed: unknown;
    try {
      parsed = JSON.parse(text);
    } catch {
      return void parseJson(req, text, done); // its error for it: empty, invalid, or a byte order mark it takes
    }
    done(null, parsed);
  };
}

/**
 * Whether a key could be `__proto__` or `constructor`, which Fastify's parser looks for with two regular expressions
 * over the whole text (two more passes over a big body): only when one of the words, or a `\u` escape that could
 * spell it, is in the bytes at all. Else the text is plain JSON.parse's.
 */
function mayPoison(text: string): boolean {
  // Searched in the decoded text: a Buffer search converts its string needle to bytes on every call.
  return text.includes('\\u') || text.includes('__proto__') || text.includes('constructor');
}
