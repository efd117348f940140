import type { FastifyReply, FastifyRequest } from 'fastify';
import pino, { type Logger } from 'pino';
import { scrub, scrubList } from './logger';

interface LineSink {
  write(line: string): unknown;
  batch?(line: string): void;
}

/**
 * The one access-log line per request, at `info`. It is on every request's path, so it is written as a
 * pre-shaped JSON string straight to the logger's destination (the same stream, the same fields and scrubbing as
 * a `log.info(...)` line), without pino's generic per-call work: object walk, redaction paths, formatters; and
 * batched when the destination batches (stdout: written within 50 ms). At `warn` and above it costs one test.
 */
export class AccessLog {
  private readonly sink: LineSink | null;
  private readonly head: string;
  private readonly tail: string;
  private readonly secrets: readonly string[];

  constructor(log: Logger, secrets: readonly string[]) {
    this.secrets = scrubList(secrets);
    this.sink = log.isLevelEnabled('info') ? ((log as unknown as Record<symbol, LineSink>)[pino.symbols.streamSym] ?? null) : null;
    const bindings = log.bindings();
    const base = Object.keys(bindings).length ? `,${JSON.stringify(bindings).slice(1, -1)}` : '';
    this.head = `{"level":"info","time":"`;
    this.tail = `"${base}`;
  }

  write(req: FastifyRequest, reply: FastifyReply): void {
    if (this.sink === null) return;
    const c = req.caller;
    const url = req.url;
    const q = url.indexOf('?');
    let line = `${this.head}${new Date().toISOString()}${this.tail},"reqId":${JSON.stringify(req.id)},"method":${JSON.stringify(req.method)},"path":${JSON.stringify(q === -1 ? url : url.slice(0, q))},"status":${reply.statusCode},"ms":${Math.round(reply.elapsedTime * 100) / 100}`;
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
