import type { FastifyRequest } from 'fastify';
import type { Caller } from '../auth/caller';
import { errorOutcome } from '../common/errors/error-body';
import type { DeploymentConfig } from '../config/gateway-config';
import type { Forwarded } from './forwarder.service';
import type { Operation } from './providers/provider';
import { askedTags, TAGS_HEADER } from './request-tags';
import type { StreamEnd } from './streaming/stream-responder';
import type { Usage } from './streaming/usage';

/**
 * One model call as it ended, handed over on the hot path: references and numbers only, read and cleaned later
 * off the request path. Never holds the prompt or the answer.
 */
export interface CallRecord {
  /** The `x-request-id` answered to the client. */
  readonly requestId: string;
  readonly op: Operation;
  readonly caller: Caller;
  /** The end user: the request body's `user` as sent (kept only if it is a short string), else the JWT's claim. */
  readonly endUser: unknown;
  /** The team the call was admitted under (undefined: not admitted; the caller's team is named). */
  readonly teamId?: string | null;
  /** The request's own tags (askedTags: body and header), as sent: cleaned and bounded later. */
  readonly tags: unknown;
  /** The virtual key's own tags. */
  readonly keyTags: readonly string[] | null;
  /** The model group asked for (`''` when the body named none). */
  readonly model: string;
  /** The deployment that answered (or failed last); null when none was called. */
  readonly deployment: DeploymentConfig | null;
  readonly promptTokens: number;
  readonly completionTokens: number;
  /** Cost in USD, exactly what was added to the spend totals. */
  readonly spend: number;
  /** `performance.now()` instants: call received, upstream request sent, first byte relayed (streams), end. */
  readonly startedAt: number;
  readonly apiStartedAt: number | null;
  readonly firstByteAt: number | null;
  readonly endedAt: number;
  /** What the call ended with: the HTTP status answered, 499 when the client went away. */
  readonly statusCode: number;
  /** The error code when the call failed (`budget_exceeded`, `upstream_timeout`, ...). */
  readonly errorCode: string | null;
}

/** Set on a request once its call is traced (its handler ran): the handler records it, nothing else may. */
export const CALL_TRACED = Symbol('callTraced');

declare module 'fastify' {
  interface FastifyRequest {
    [CALL_TRACED]: boolean;
  }
}

/** Nest token: where the proxy hands each ended call (spend logs, call metrics). Must return at once. */
export const CALL_RECORDER = Symbol('CALL_RECORDER');

export interface CallRecorder {
  record(call: CallRecord): void;
}

/** The status recorded for a call whose client went away before its answer ended (nginx's "client closed request"). */
export const CLIENT_GONE = 499;
/** Longest `user` kept, and most request tags looked at: a client's body bounds nothing. */
const MAX_TEXT = 256;
const MAX_TAGS = 64;

/**
 * The CallRecord of one call, filled in as the call goes: a few numbers and references (never the body itself,
 * which may be large: only its `user` and its tags are kept, bounded).
 */
export class CallTrace implements CallRecord {
  readonly requestId: string;
  readonly caller: Caller;
  endUser: unknown = null;
  teamId: string | null | undefined = undefined;
  readonly tags: unknown = null;
  /** The request's own tags in full (askedTags), for tag routing; `tags` keeps the first MAX_TAGS of them. */
  readonly requestTags: unknown[] | undefined;
  model = '';
  keyTags: readonly string[] | null = null;
  deployment: DeploymentConfig | null = null;
  promptTokens = 0;
  completionTokens = 0;
  spend = 0;
  apiStartedAt: number | null = null;
  firstByteAt: number | null = null;
  endedAt = 0;
  statusCode = 200;
  errorCode: string | null = null;

  constructor(
    req: FastifyRequest,
    readonly op: Operation,
    readonly startedAt: number,
  ) {
    this.requestId = req.id;
    req[CALL_TRACED] = true;
    // The global auth guard sets the caller on every model route.
    this.caller = req.caller as Caller;
    const body = req.body as { model?: unknown; user?: unknown } | null;
    const tags = (this.requestTags = askedTags(body, req.headers[TAGS_HEADER]));
    if (tags !== undefined) this.tags = tags.length > MAX_TAGS ? tags.slice(0, MAX_TAGS) : tags;
    if (!body || typeof body !== 'object') return;
    if (typeof body.model === 'string') this.model = body.model.slice(0, MAX_TEXT);
    if (typeof body.user === 'string') this.endUser = body.user.slice(0, MAX_TEXT);
  }

  /** Admitted: charged to these team and end user (a JWT's chosen team, its end-user claim). */
  admitted(owners: { readonly teamId: string | null; readonly endUserId: string | null } | undefined): void {
    if (owners === undefined) return;
    this.teamId = owners.teamId;
    if (owners.endUserId !== null) this.endUser = owners.endUserId;
  }

  /** An answer came from `fwd`, with this usage and cost (the amount added to the spend totals). */
  served(fwd: Forwarded, usage: Usage, cost: number): void {
    this.deployment = fwd.deployment.config;
    this.apiStartedAt = fwd.sentAt;
    this.statusCode = fwd.statusCode;
    this.promptTokens = usage.promptTokens;
    this.completionTokens = usage.completionTokens;
    this.spend = cost;
  }

  /** A stream ended: cleanly, cut by the upstream, or by the client hanging up. */
  streamEnded(end: StreamEnd): void {
    this.firstByteAt = end.firstByteAt;
    if (end.ok) return;
    if (end.clientGone) return this.clientGone();
    this.statusCode = end.failure?.kind === 'timeout' ? 504 : 502;
    this.errorCode = 'upstream_error';
  }

  clientGone(): void {
    this.statusCode = CLIENT_GONE;
    this.errorCode = 'client_closed_request';
  }

  failed(err: unknown): void {
    const { status, code } = errorOutcome(err);
    this.statusCode = status;
    this.errorCode = code;
  }
}
