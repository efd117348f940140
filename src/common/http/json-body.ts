import { isAscii, isUtf8 } from 'node:buffer';
import type { FastifyBodyParser, FastifyInstance, FastifyRequest } from 'fastify';
import type { Elided } from '../../proxy/upstream/long-strings';
import { Errors } from '../errors/gateway-error';
import type { BodySlots } from './body-slots';

/** The client's JSON body as received: its bytes, whether they are all ASCII, and its long strings if left unparsed. */
export interface RawJson {
  readonly bytes: Buffer;
  readonly ascii: boolean;
  readonly elided: Elided | null;
}

/** A body's text with its long strings left out, when the route and the body allow (null: parse the whole text). */
export type LongStringElider = (req: FastifyRequest, bytes: Buffer) => Elided | null;

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
export function strictJsonParser(
  fastify: FastifyInstance,
  bodies: BodySlots,
  elide: LongStringElider,
): FastifyBodyParser<Buffer> {
  const parseJson = fastify.getDefaultJsonParser('error', 'error');
  return (req, body, done) => {
    bodies.release(req); // read whole: its slot is free for another
    if (!isUtf8(body)) {
      done(Errors.badRequest('Request body is not valid UTF-8', null, 'invalid_json'), undefined);
      return;
    }
    const elided = elide(req, body);
    if (elided !== null) {
      // The stand-ins are plain ASCII strings: a text with them parses exactly when the whole body does.
      const parsed = parsedPlainly(elided.text);
      if (parsed !== undefined) {
        req[RAW_JSON] = { bytes: body, ascii: isAscii(body), elided };
        return void done(null, parsed);
      }
    }
    const text = body.toString('utf8');
    req[RAW_JSON] = { bytes: body, ascii: text.length === body.length, elided: null };
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

/** The text as JSON.parse reads it, when nothing in it needs Fastify's own parser (undefined: it does, or it is not JSON). */
function parsedPlainly(text: string): unknown {
  if (mayPoison(text)) return undefined;
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return undefined;
  }
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
