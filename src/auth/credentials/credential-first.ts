import type { FastifyReply, FastifyRequest, preParsingHookHandler } from 'fastify';
import { GatewayError } from '../../common/errors/gateway-error';
import type { BodySlots } from '../../common/http/body-slots';
import { lingerOverRefusedBody, REFUSED_LINGER_BYTES, REFUSED_LINGER_MS } from '../../common/http/linger';

export const NO_CREDENTIAL =
  'No credential: send "Authorization: Bearer <key or JWT>" (or an "api-key" / "x-litellm-api-key" header)';

/** The guard's decision for a request, without its @Public() check (auth/guards/auth.guard.ts). */
export interface CredentialCheck {
  authenticate(req: FastifyRequest): true | Promise<true>;
}

/** Answered when every body slot is taken; clients retry it (the OpenAI SDKs do on 503). */
const BUSY = () =>
  new GatewayError(503, 'server_busy', 'Too many request bodies are being received right now; retry shortly', {
    headers: { 'retry-after': '1' },
  });

/**
 * preParsing hook of every protected route (installed by common/http/pipeline.ts as Nest declares the routes;
 * @Public() routes and unknown paths have none): the credential is verified, and the route checked against it,
 * before the body is read. A caller with no credential or a bad one gets its 401 (a refused route its 403) whatever
 * the body holds, and costs no body read and parse; a warm credential is decided synchronously, a cold virtual key or
 * JWT with one await. Then the request takes a body slot (BodySlots) or is refused 503. A refused request's unread
 * body is drained briefly (REFUSED_LINGER_*), so a client sending a small one reads its answer (linger.ts).
 */
export function credentialFirst(guard: CredentialCheck, bodies: BodySlots): preParsingHookHandler {
  const admit = (req: FastifyRequest, reply: FastifyReply, payload: RequestPayload, done: Done) => {
    // The client hung up during a slow check: its answer's 'close' has passed, and nothing would read the body.
    if (req.raw.destroyed || reply.raw.destroyed || req.raw.socket?.destroyed !== false) return;
    if (bodies.take(req)) return done(null, payload);
    lingerOverRefusedBody(req, reply, REFUSED_LINGER_MS, REFUSED_LINGER_BYTES);
    done(BUSY());
  };
  const refuse = (req: FastifyRequest, reply: FastifyReply, err: unknown, done: Done) => {
    lingerOverRefusedBody(req, reply, REFUSED_LINGER_MS, REFUSED_LINGER_BYTES);
    done(err as Error);
  };
  return (req, reply, payload, done) => {
    let verdict: true | Promise<true>;
    try {
      verdict = guard.authenticate(req);
    } catch (err) {
      return refuse(req, reply, err, done);
    }
    if (verdict === true) return admit(req, reply, payload, done);
    verdict.then(
      () => admit(req, reply, payload, done),
      (err: unknown) => refuse(req, reply, err, done),
    );
  };
}

type RequestPayload = Parameters<preParsingHookHandler>[2];
type Done = Parameters<preParsingHookHandler>[3];
