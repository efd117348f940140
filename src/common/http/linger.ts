import type { FastifyReply, FastifyRequest } from 'fastify';

/** How long, and how much, the gateway keeps reading (and dropping) a body it refused as too large. */
export const LINGER_MS = 5_000;
export const LINGER_BYTES = 64 * 1024 * 1024;
/**
 * The same for a request refused on its credential or for want of a body slot: its sender may be anonymous, so it
 * gets a short grace to finish a small body and read its answer, not a way to make the gateway read bodies.
 */
export const REFUSED_LINGER_MS = 1_000;
export const REFUSED_LINGER_BYTES = 64 * 1024;

/**
 * A body over the limit is refused (413) on its Content-Length, before it is read. Closing the connection at once
 * (Fastify's default) makes a client that is still sending see a reset instead of the 413: its write fails, and
 * an HTTP client such as fetch reports a network error without the answer. Like nginx's lingering close, the
 * gateway instead reads and drops the rest of the body, for at most LINGER_MS and LINGER_BYTES; the connection
 * then stays usable for the next request, and a client that sends more than that, or longer, is cut.
 */
export function lingerOverRefusedBody(
  req: FastifyRequest,
  reply: FastifyReply,
  ms = LINGER_MS,
  bytes = LINGER_BYTES,
): void {
  const raw = req.raw;
  if (raw.complete || raw.socket === null) return;
  reply.removeHeader('connection'); // Fastify set `connection: close`
  let seen = 0;
  const cut = () => {
    clearTimeout(timer);
    raw.socket?.destroy();
  };
  const timer = setTimeout(cut, ms);
  timer.unref();
  raw.on('data', (chunk: Buffer) => {
    seen += chunk.length;
    if (seen > bytes) cut();
  });
  raw.once('end', () => clearTimeout(timer));
  raw.once('close', () => clearTimeout(timer));
}
