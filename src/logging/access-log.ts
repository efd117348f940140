import type { FastifyReply, FastifyRequest } from 'fastify';
import pino, { type DestinationStream, type Logger } from 'pino';
import { scrub, scrubList, type BatchingDestination } from './logger';

/** The logger's destination: stdout batches (BatchingDestination), a test's capture stream does not. */
type LineSink = DestinationStream & Partial<Pick<BatchingDestination, 'batch'>>;

const HEAD = '{"level":"info","time":"';

/**
 * The one access-log line per request, at `info`. It is on every request's path, so it is written as a
 * pre-shaped JSON string straight to the logger's destination (the same stream, the same fields and scrubbing as
 * a `log.info(...)` line), without pino's generic per-call work: object walk, redaction paths, formatters; and
 * batched when the destination batches (stdout: written within 50 ms). At `warn` and above it costs one test.
 */
export class AccessLog {
  private readonly sink: LineSink | null;
  /** After the time: the logger's base fields (`svc`), as pino writes them. */
  private readonly tail: string;
  private readonly secrets: readonly string[];

  constructor(log: Logger, secrets: readonly string[]) {
    this.secrets = scrubList(secrets);
    this.sink = log.isLevelEnabled('info') ? ((log as unknown as Record<symbol, LineSink>)[pino.symbols.streamSym] ?? null) : null;
    const bindings = log.bindings();
    const base = Object.keys(bindings).length ? `,${JSON.stringify(bindings).slice(1, -1)}` : '';
    this.tail = `"${base}`;
  }

  write(req: FastifyRequest, reply: FastifyReply): void {
    if (this.sink === null) return;
    const c = req.caller;
    const url = req.url;
    const q = url.indexOf('?');
    let line = `${HEAD}${new Date().toISOString()}${this.tail},"reqId":${JSON.stringify(req.id)},"method":${JSON.stringify(req.method)},"path":${JSON.stringify(q === -1 ? url : url.slice(0, q))},"status":${reply.statusCode},"ms":${Math.round(reply.elapsedTime * 100) / 100}`;
    if (c !== undefined) {
      line += `,"role":${JSON.stringify(c.role)}`;
      if (c.projectId !== undefined) line += `,"project":${JSON.stringify(c.projectId)}`;
      if (c.userId !== undefined) line += `,"user":${JSON.stringify(c.userId)}`;
      if (c.keyHash !== undefined) line += `,"key":"${c.keyHash.slice(0, 12)}"`;
    }
    const out = `${scrub(`${line},"msg":"request"}`, this.secrets)}\n`;
    if (this.sink.batch !== undefined) this.sink.batch(out);
    else this.sink.write(out);
  }
}
