import type { KeyRecord } from '../keys/key-record';
import type { CallRecord } from '../proxy/call-record';
import { toStorableText } from '../keys/dto/storable';

/** One spend log row as written: ids, names, numbers and times. Never a prompt, an answer or a secret. */
export interface SpendLogRow {
  /** Unique per row (instance prefix + counter): a batch written twice after a lost answer adds nothing. */
  readonly id: string;
  readonly requestId: string;
  readonly callType: string;
  readonly apiKey: string | null;
  readonly keyAlias: string | null;
  readonly teamId: string | null;
  readonly user: string | null;
  readonly endUser: string | null;
  readonly model: string;
  readonly modelId: string | null;
  readonly apiBase: string | null;
  readonly promptTokens: number;
  readonly completionTokens: number;
  readonly spend: number;
  /** Epoch milliseconds. */
  readonly startTime: number;
  readonly endTime: number;
  readonly completionStartTime: number | null;
  readonly status: 'success' | 'failure';
  readonly statusCode: number;
  readonly requestTags: readonly string[];
}

/** LiteLLM's `call_type` per operation. */
const CALL_TYPES: Readonly<Record<CallRecord['op'], string>> = {
  chat: 'acompletion',
  embeddings: 'aembedding',
  messages: 'anthropic_messages',
  count_tokens: 'count_tokens',
  responses: 'aresponses',
  completions: 'atext_completion',
  moderations: 'amoderation',
  images: 'aimage_generation',
  speech: 'aspeech',
  transcriptions: 'atranscription',
  translations: 'atranscription',
};
const MAX_TEXT = 256;
const MAX_TAGS = 32;
const MAX_TAG = 128;
const NO_TAGS: readonly string[] = Object.freeze([]);

/** A client-sent string as a row keeps it: bounded, then made storable. */
function storable(v: string, max: number = MAX_TEXT): string {
  return toStorableText(v.length > max ? v.slice(0, max) : v);
}

/** A short string, or null: client-sent values are bounded before they are kept. */
function text(v: unknown): string | null {
  return typeof v === 'string' && v.length > 0 ? storable(v) : null;
}

/**
 * The request's `metadata.tags` and the key's tags (its `tags`, or LiteLLM's older place, its `metadata.tags`):
 * strings only, bounded, unique.
 */
export function tagsOf(requestTags: unknown, keyTags: unknown, key: KeyRecord | undefined): readonly string[] {
  const older = key?.metadata.tags;
  if (!Array.isArray(requestTags) && !Array.isArray(keyTags) && !Array.isArray(older)) return NO_TAGS;
  const out = new Set<string>();
  for (const list of [requestTags, keyTags, older]) {
    if (!Array.isArray(list)) continue;
    for (const t of list) {
      if (out.size >= MAX_TAGS) break;
      if (typeof t === 'string' && t.length > 0 && t.length <= MAX_TAG) out.add(storable(t));
    }
  }
  return [...out];
}

/**
 * An api_base without what may be a credential: no user:password, no query string (some services take the key
 * there). Remembered per configured value: deployments are few.
 */
const cleanBases = new Map<string, string>();
export function cleanApiBase(base: string | undefined): string | null {
  if (!base) return null;
  let clean = cleanBases.get(base);
  if (clean === undefined) {
    try {
      const u = new URL(base);
      clean = `${u.protocol}//${u.host}${u.pathname === '/' ? '' : u.pathname}`;
    } catch {
      clean = '';
    }
    if (cleanBases.size < 10_000) cleanBases.set(base, clean);
  }
  return clean || null;
}

/** Epoch milliseconds of a `performance.now()` instant. */
export function epochMs(at: number): number {
  return Math.round(performance.timeOrigin + at);
}

/** The row of an ended call. `key`: the caller's virtual key, if it is one (alias and tags come from it). */
export function toRow(id: string, call: CallRecord, key: KeyRecord | undefined): SpendLogRow {
  const d = call.deployment;
  const end = epochMs(call.endedAt);
  const ok = call.statusCode < 400;
  return {
    id,
    requestId: storable(call.requestId),
    callType: CALL_TYPES[call.op],
    apiKey: call.caller.token ?? null,
    keyAlias: key?.keyAlias ?? null,
    teamId: text(call.teamId !== undefined ? call.teamId : call.caller.teamId),
    user: text(call.caller.userId),
    endUser: text(call.endUser),
    model: storable(call.model),
    modelId: d?.id ?? null,
    apiBase: cleanApiBase(d?.apiBase),
    promptTokens: call.promptTokens,
    completionTokens: call.completionTokens,
    spend: call.spend,
    startTime: epochMs(call.startedAt),
    endTime: end,
    // A JSON answer's first byte is its end, as LiteLLM records it.
    completionStartTime: call.firstByteAt !== null ? epochMs(call.firstByteAt) : ok ? end : null,
    status: ok ? 'success' : 'failure',
    statusCode: call.statusCode,
    // A call refused before admission (bad body, unknown model, a limit) has no admitted tags: the key's own count.
    requestTags: tagsOf(call.tags, call.keyTags ?? key?.extras?.tags, key),
  };
}
