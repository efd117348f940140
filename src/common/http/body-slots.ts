import type { FastifyRequest } from 'fastify';

/** Set on a request while it holds one of the instance's body slots. */
export const BODY_SLOT = Symbol('bodySlot');

declare module 'fastify' {
  interface FastifyRequest {
    [BODY_SLOT]: boolean;
  }
}

/**
 * The request bodies being read at once (`MAX_REQUEST_BODIES_IN_FLIGHT`): a slot is taken once the credential is
 * verified, before the body is read, and given back when the body has been read (the JSON parser, an upload's end)
 * or, at the latest, when the answer closes. Past the bound the request is refused before its body is read, so
 * memory held by half-read bodies stays bounded however many clients send slowly.
 */
export class BodySlots {
  private taken = 0;

  constructor(private readonly max: number) {}

  /** Whether the request may read its body now (requests without one always may, and take no slot). */
  take(req: FastifyRequest): boolean {
    const headers = req.headers;
    const length = headers['content-length'];
    if ((length === undefined || length === '0') && headers['transfer-encoding'] === undefined) return true;
    if (this.taken >= this.max) return false;
    this.taken++;
    req[BODY_SLOT] = true;
    // An aborted body never reaches its parser's end: the request's own close gives the slot back (release is
    // idempotent, so whichever of the parser, the answer's close or this comes first frees it, once).
    req.raw.once('close', () => this.release(req));
    return true;
  }

  release(req: FastifyRequest): void {
    if (!req[BODY_SLOT]) return;
    req[BODY_SLOT] = false;
    this.taken--;
  }

  get inFlight(): number {
    return this.taken;
  }
}
