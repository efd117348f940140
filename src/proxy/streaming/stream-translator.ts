import type { Usage } from './usage';

/**
 * What writes an upstream event stream to the client: the pass-through relay of OpenAI-format streams, or a
 * provider's translation of its own stream. `push` answers the bytes to write now (possibly none).
 */
export interface StreamTranslator {
  push(chunk: Buffer): Buffer;
  /** The bytes to write when the upstream stream ended. */
  finish(): Buffer;
  /** The usage the stream reported, or null. */
  readonly usage: Usage | null;
  /** Data events seen: a completion-token estimate when the upstream reports no usage. */
  readonly events: number;
  /** The answer's content headers as a flat [name, value, ...] list; absent: an event stream's. */
  readonly head?: readonly string[];
  /** What ends the body when the upstream fails mid-way (null: the connection is cut); absent: an OpenAI error event. */
  failure?(message: string, code: string): string | null;
}
