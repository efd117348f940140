import { randomBytes } from 'node:crypto';
import { open, unlink, type FileHandle } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import type { FastifyRequest } from 'fastify';
import { Errors, GatewayError } from '../../common/errors/gateway-error';
import type { Upload } from '../call-context';
import { boundaryOf, ModelFieldFilter } from './model-field-filter';

/** What is read ahead before the `model` field is kept in memory up to this much; the rest goes to a temp file. */
const IN_MEMORY_BYTES = 256 * 1024;
const FILE_CHUNK_BYTES = 64 * 1024;

/**
 * A multipart upload (audio transcription, translation) forwarded as it streams in. The call is routed by its
 * `model` field, so the body is read up to that field first: what comes before it (a file sent ahead of the model,
 * as the `openai` client does) is kept in memory up to IN_MEMORY_BYTES and past that in an unlinked temp file, never
 * whole in memory; the rest is read from the client while the upstream takes it. A body read to its end before the
 * upstream was called can be sent again (retries); one still streaming from the client cannot, once sending began.
 * The body limit is counted on the bytes as they come.
 */
export class MultipartUpload implements Upload {
  /** The model group: the Azure path's, else the body's first `model` field. */
  model = '';
  bytes = 0;
  failure: Error | null = null;
  private readonly held: Buffer[] = [];
  private heldBytes = 0;
  private file: FileHandle | null = null;
  private fileBytes = 0;
  /** The client's body was read to its end: the upload can be sent any number of times. */
  private ended = false;
  private live = false;

  private constructor(
    readonly contentType: string,
    private readonly boundary: string,
    private readonly filter: ModelFieldFilter,
    private readonly source: AsyncIterator<Buffer>,
    private readonly limit: number,
  ) {}

  /** Reads the body up to its `model` field (or, with `pathGroup`, the Azure form's model, not at all). */
  static async open(req: FastifyRequest, limit: number, pathGroup?: string): Promise<MultipartUpload> {
    const contentType = req.headers['content-type'];
    const boundary = boundaryOf(contentType);
    const stream = req.body as Readable | null;
    if (boundary === null || !stream || typeof (stream as Partial<Readable>).pipe !== 'function')
      throw Errors.badRequest(
        'The request body must be multipart/form-data with a boundary (a file upload with a model field)',
        null,
        'invalid_multipart',
      );
    const declared = Number(req.headers['content-length']);
    if (declared > limit) throw tooLarge(limit);
    const filter = new ModelFieldFilter(boundary);
    const source = stream[Symbol.asyncIterator]() as AsyncIterator<Buffer>;
    const pending = new MultipartUpload(contentType!, boundary, filter, source, limit);
    try {
      await pending.readAhead(pathGroup === undefined);
    } catch (err) {
      pending.discard();
      throw err;
    }
    const model = pathGroup ?? filter.model;
    if (!model) {
      pending.discard();
      throw Errors.badRequest(
        "Invalid request body: 'model' is required (a form field naming the model group)",
        'model',
      );
    }
    pending.model = model;
    return pending;
  }

  /** The body for one attempt: a `model` part naming `model` first, then the client's parts as they come. */
  body(model: string): Readable {
    return Readable.from(this.parts(model), { objectMode: false });
  }

  private async *parts(model: string): AsyncGenerator<Buffer> {
    if (this.live) throw new Error('the upload was already sent once while it streamed in: it cannot be sent again');
    yield Buffer.from(`--${this.boundary}\r\nContent-Disposition: form-data; name="model"\r\n\r\n${model}`, 'utf8');
    for (const b of this.held) yield b;
    if (this.file !== null) {
      for (let at = 0; at < this.fileBytes;) {
        const { buffer, bytesRead } = await this.file.read(
          Buffer.allocUnsafe(FILE_CHUNK_BYTES),
          0,
          FILE_CHUNK_BYTES,
          at,
        );
        if (bytesRead === 0) break;
        at += bytesRead;
        yield buffer.subarray(0, bytesRead);
      }
    }
    if (this.ended) return;
    this.live = true;
    for (;;) {
      const out: Buffer[] = [];
      if (!(await this.next(out))) break;
      for (const b of out) yield b;
    }
  }

  /** Lets go of the temp file, once the call is over (the client's unread bytes are Node's to discard after the answer). */
  discard(): void {
    const file = this.file;
    this.file = null;
    void file?.close().catch(() => undefined);
  }

  /** Reads and keeps the body until its model field is in (or, `untilModel` false, not at all). */
  private async readAhead(untilModel: boolean): Promise<void> {
    while (untilModel && this.filter.model === null) {
      const out: Buffer[] = [];
      if (!(await this.next(out))) break;
      for (const b of out) await this.hold(b);
    }
  }

  /** The next client chunk through the filter into `out`; false at the end of the body. */
  private async next(out: Buffer[]): Promise<boolean> {
    let r: IteratorResult<Buffer>;
    try {
      r = await this.source.next();
    } catch (err) {
      throw this.fail(
        err instanceof GatewayError ? err : Errors.badRequest('The upload was cut off', null, 'upload_failed'),
      );
    }
    if (r.done) {
      this.filter.end(out);
      this.ended = true;
      return false;
    }
    this.bytes += r.value.length;
    if (this.bytes > this.limit) throw this.fail(tooLarge(this.limit));
    try {
      this.filter.push(r.value, out);
    } catch (err) {
      throw this.fail(err as Error);
    }
    return true;
  }

  private async hold(b: Buffer): Promise<void> {
    if (this.file === null && this.heldBytes + b.length <= IN_MEMORY_BYTES) {
      this.held.push(b);
      this.heldBytes += b.length;
      return;
    }
    if (this.file === null) {
      const path = join(tmpdir(), `gw-upload-${randomBytes(12).toString('hex')}`);
      this.file = await open(path, 'wx+', 0o600);
      await unlink(path); // the open handle keeps the bytes; nothing is left behind, whatever happens
    }
    await this.file.write(b, 0, b.length, this.fileBytes);
    this.fileBytes += b.length;
  }

  private fail(err: Error): Error {
    this.failure = err;
    return err;
  }
}

function tooLarge(limit: number): GatewayError {
  return new GatewayError(413, 'request_too_large', `The request body is larger than the limit of ${limit} bytes`);
}
