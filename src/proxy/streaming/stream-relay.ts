import type { StreamTranslator } from './stream-translator';

const EMPTY: Buffer = Buffer.alloc(0);

/** A body that is not an event stream (audio): bytes passed on as they come, under the upstream's content type. */
export class BytesRelay implements StreamTranslator {
  readonly head: readonly string[];
  readonly usage = null;
  readonly events = 0;

  constructor(contentType: string | undefined) {
    this.head = ['content-type', contentType ?? 'application/octet-stream'];
  }

  push(chunk: Buffer): Buffer {
    return chunk;
  }

  finish(): Buffer {
    return EMPTY;
  }

  failure(): null {
    return null;
  }
}
