import { Inject, Injectable } from '@nestjs/common';
import type { Logger } from 'pino';
import { Errors, GatewayError } from '../common/errors/gateway-error';
import { APP_LOGGER } from '../logging/logger';
import { GatewayMetrics, type UpstreamOutcome } from '../metrics/gateway-metrics';
import { ClientGoneError, type CallContext, type Upload } from './call-context';
import type { Operation, UpstreamBody } from './providers/provider';
import type { Deployment } from './router/deployment';
import type { ModelGroup } from './router/model-group';
import { exhaustedError, type FailedAttempt } from './router/exhausted-error';
import { RouterService } from './router/router.service';
import { NOT_JSON, usageOfAnswer, usageOfEncodedAnswer, type Usage } from './streaming/usage';
import { upstreamClientError } from './upstream/upstream-error';
import { specialRefusal, unsupportedParam } from './upstream/upstream-refusals';
import { callUpstream, type UpstreamAnswer, type UpstreamStream } from './upstream/upstream-call';
import type { UpstreamHeaders } from './upstream/upstream-headers';
import {
  failureFromError,
  failureFromStatus,
  invalidBodyFailure,
  isRetryableStatus,
  type AttemptFailure,
} from './upstream/upstream-failure';

/** A 2xx upstream answer: the whole body (non-streaming) or the live SSE body (streaming). */
export interface Forwarded {
  readonly deployment: Deployment;
  readonly group: ModelGroup;
  readonly statusCode: number;
  readonly headers: UpstreamHeaders;
  readonly body?: Buffer;
  readonly stream?: UpstreamStream;
  /** The usage in `body` (null: none, or a compressed body). */
  readonly usage: Usage | null;
  /** The request body's length as text (an upload's in bytes): a prompt-token estimate when the upstream reports no usage. */
  readonly requestChars: () => number;
  /** `performance.now()` when the answering attempt was sent. */
  readonly sentAt: number;
}

/** Operations whose 2xx answer may be other than JSON. */
const TEXT_ANSWERS: ReadonlySet<Operation> = new Set<Operation>(['transcriptions', 'translations']);

type Attempt = { ok: true; forwarded: Forwarded } | { ok: false; failure: AttemptFailure };
const RETRY_WITHOUT_STREAM_OPTIONS = Symbol('retry without stream_options');
/** drop_params: the parameter the upstream refused was removed from the payload; send again. */
const RETRY_WITHOUT_PARAM = Symbol('retry without an unsupported parameter');
/** Parameters one call may lose to drop_params (each refusal names one). */
const MAX_DROPPED = 5;

/**
 * Sends a call to a deployment of its group and, on connection errors, timeouts, 2xx answers that are not JSON and
 * the statuses `isRetryableStatus` names (429, 5xx, 408, 401/403: the deployment's own key), to another one (up to
 * `num_retries` more), then to the fallback groups in order. Failures count towards the deployment's cooldown. Any
 * other upstream 4xx ends the call at once with that status and body, unless `answer` finds a remedy for it.
 */
@Injectable()
export class ForwarderService {
  constructor(
    private readonly router: RouterService,
    @Inject(APP_LOGGER) private readonly log: Logger,
    private readonly metrics: GatewayMetrics,
  ) {}

  /** `chain`: the groups to try, when not the group's own chain (a Responses follow-up pinned to one deployment). */
  async forward(ctx: CallContext, group: ModelGroup, chain = this.router.chain(group)): Promise<Forwarded> {
    try {
      return await this.forwardChain(ctx, chain);
    } catch (err) {
      // An upstream's "prompt too long" / content-filter refusal goes to the groups configured for it, if any.
      const kind = err instanceof GatewayError ? specialRefusal(err) : undefined;
      const more = kind ? this.allowedOnly(ctx, this.router.specialFallbacks(group, kind)) : [];
      if (more.length === 0) throw err;
      this.log.info({ reqId: ctx.reqId, group: group.name, kind, to: more.map((g) => g.name) }, 'special fallback');
      return this.forwardChain(ctx, more);
    }
  }

  /** A fallback group is tried only if the caller could call it directly (a key limited to `models` stays inside them). */
  private allowedOnly(ctx: CallContext, groups: readonly ModelGroup[]): readonly ModelGroup[] {
    const allowed = ctx.allowedGroups;
    return allowed === null ? groups : groups.filter((g) => allowed.has(g.name));
  }

  private async forwardChain(ctx: CallContext, all: readonly ModelGroup[]): Promise<Forwarded> {
    const chain = all.length > 1 ? [all[0], ...this.allowedOnly(ctx, all.slice(1))] : all;
    const tried: Deployment[] = [];
    const failed: FailedAttempt[] = [];
    for (const g of chain) {
      for (let n = 0; n <= this.router.numRetries; n++) {
        const now = Date.now();
        const d = g.pick(now, tried, Math.random());
        if (!d) break;
        const path = d.endpoint.paths[ctx.op];
        if (path === undefined) throw unsupportedOperation(ctx.op, g.name, d.provider.name);
        tried.push(d);
        ctx.attempted = d.config;
        d.usage.countRequest(now);
        d.active++; // until the call ends (ProxyService) or this attempt fails
        const sent = performance.now();
        const timeout = ctx.stream ? d.streamTimeoutMs : d.timeoutMs;
        // One attempt, written out here rather than as its own async function (one promise less per call). It sends
        // again at once, without stream_options, when an older API version refuses them.
        let a: Attempt | typeof RETRY_WITHOUT_STREAM_OPTIONS | typeof RETRY_WITHOUT_PARAM;
        let refusedUsage = false;
        let dropped = 0;
        const endpoint = d.passThrough ? { ...d.endpoint, bodyModel: d.upstreamFor(ctx.requestedModel) } : d.endpoint;
        try {
          do {
            const injected = this.prepareStreamOptions(d, ctx, refusedUsage);
            const upload = ctx.upload;
            const client = ctx.client;
            const ownFormat = d.provider.response !== undefined;
            // A provider with its own format reads the payload's values (its body, its answer): all of them back.
            if (client !== null && ownFormat) client.restore(ctx.payload);
            const json = upload === null ? d.provider.body(ctx.op, ctx.payload, endpoint, client) : null;
            const body =
              json === null ? upload!.body(endpoint.bodyModel) : typeof json === 'string' ? json : json.bytes;
            // Sent as the client's bytes and answered as is: the long values are not read again while the call waits.
            if (client !== null && !ownFormat && typeof json === 'object' && json !== null) client.release(ctx.payload);
            const auth = d.endpoint.auth;
            let res: UpstreamAnswer;
            try {
              // Expiring credentials (Entra ID) are awaited only when no good one is at hand.
              const fixed = auth === undefined ? d.endpoint.headers : (auth.now() ?? (await auth.fresh()));
              const extra = ctx.upstreamHeaders;
              const headers = extra === undefined ? fixed : { ...fixed, ...extra };
              const opts = {
                method: 'POST' as const,
                path,
                headers: upload === null ? headers : { ...headers, 'content-type': upload.contentType },
                body,
                headersTimeout: timeout,
                bodyTimeout: timeout,
              };
              res = await callUpstream(d.pool, opts, ctx.signal, ctx.stream, ctx.anyStream);
            } catch (err) {
              a = this.failure(err, ctx);
              break;
            }
            a = res.stream
              ? {
                  ok: true,
                  forwarded: {
                    deployment: d,
                    group: g,
                    statusCode: res.statusCode,
                    headers: res.headers,
                    stream: res.stream,
                    usage: null,
                    requestChars: charsOf(json, upload),
                    sentAt: sent,
                  },
                }
              : this.answer(ctx, d, g, res, injected, charsOf(json, upload), dropped, sent);
            if (a === RETRY_WITHOUT_STREAM_OPTIONS) refusedUsage = true;
            if (a === RETRY_WITHOUT_PARAM) dropped++;
          } while (a === RETRY_WITHOUT_STREAM_OPTIONS || a === RETRY_WITHOUT_PARAM);
          // Refused with the usage request and served without it, the client having sent no stream_options of its
          // own: this deployment does not take them (an older API version), so they are not sent from now on. A
          // refusal that may be of the client's own options changes this call only, never the deployment for all.
          if (refusedUsage && a.ok && ctx.clientStreamOptions == null) d.streamUsage = false;
        } catch (err) {
          d.active--;
          // An upstream 4xx passed on, or the client hung up.
          const outcome =
            err instanceof ClientGoneError
              ? 'cancelled'
              : err instanceof GatewayError
                ? 'client_error'
                : 'server_error';
          this.metrics.upstreamAttempt(g.name, outcome, performance.now() - sent);
          throw err;
        }
        this.metrics.upstreamAttempt(g.name, a.ok ? 'success' : outcomeOf(a.failure), performance.now() - sent);
        if (a.ok) {
          d.latency?.record(Date.now(), performance.now() - sent);
          return a.forwarded;
        }
        d.active--;
        if (a.failure.kind === 'timeout') d.latency?.record(Date.now(), timeout);
        failed.push({ deployment: d.id, failure: a.failure });
        const cooled = d.health.fail(Date.now());
        this.log.warn(
          {
            reqId: ctx.reqId,
            group: g.name,
            deployment: d.id,
            reason: a.failure.reason,
            cooledDown: cooled || undefined,
          },
          'upstream attempt failed',
        );
      }
    }
    throw exhaustedError(chain, failed, Date.now());
  }

  /**
   * What a whole upstream answer means: a 2xx JSON answer is the call's result (a 2xx that is not JSON and a
   * retryable status are failed attempts); another status ends the call with that status and body, unless it is an
   * older API version refusing the `stream_options` the gateway added, or (with drop_params) a refusal naming an
   * unsupported parameter: the call is then sent again without them.
   */
  private answer(
    ctx: CallContext,
    d: Deployment,
    group: ModelGroup,
    res: UpstreamAnswer,
    injected: boolean,
    requestChars: () => number,
    dropped: number,
    sentAt: number,
  ): Attempt | typeof RETRY_WITHOUT_STREAM_OPTIONS | typeof RETRY_WITHOUT_PARAM {
    const { statusCode: status, headers } = res;
    const data = res.body!;
    const side = d.provider.response;
    if (side !== undefined && status >= 200 && status < 300) {
      // A provider with its own format: its answer translated for the client (unreadable: a failed attempt).
      const translated = side.answer(ctx.op, data, Math.floor(Date.now() / 1000), ctx.payload);
      if (translated === null) return { ok: false, failure: invalidBodyFailure(status) };
      const forwarded = { deployment: d, group, statusCode: status, headers: JSON_HEADERS, requestChars, sentAt };
      return { ok: true, forwarded: { ...forwarded, body: translated.body, usage: translated.usage } };
    }
    if (status >= 200 && status < 300) {
      // An upstream that compresses anyway (it was asked not to) is passed on as is; its usage is read from a decoded copy.
      const encoding = headers.contentEncoding;
      let usage =
        encoding !== undefined && encoding !== 'identity' ? usageOfEncodedAnswer(data, encoding) : usageOfAnswer(data);
      if (usage === NOT_JSON) {
        // A transcript may be asked for as text, SRT or VTT; any other model call answers JSON.
        if (!TEXT_ANSWERS.has(ctx.op)) return { ok: false, failure: invalidBodyFailure(status) };
        usage = null;
      }
      return {
        ok: true,
        forwarded: { deployment: d, group, statusCode: status, headers, body: data, usage, requestChars, sentAt },
      };
    }
    if (isRetryableStatus(status)) return { ok: false, failure: failureFromStatus(status, headers.retryAfter) };
    if (status === 400 && injected && data.includes('stream_options')) {
      // Perhaps an older API version refusing stream_options: sent again without the usage request (usage is then
      // estimated); see forward() for when the deployment stops asking for it.
      return RETRY_WITHOUT_STREAM_OPTIONS;
    }
    if (status === 400 && d.dropParams && dropped < MAX_DROPPED) {
      const param = unsupportedParam(data);
      if (param !== undefined && param !== 'model' && param !== 'messages' && param in ctx.payload) {
        delete ctx.payload[param];
        return RETRY_WITHOUT_PARAM;
      }
    }
    if (side !== undefined) throw side.error(ctx.op, status, data, d.config.apiKey);
    const encoded = headers.contentEncoding !== undefined && headers.contentEncoding !== 'identity';
    throw upstreamClientError(status, data, headers.contentType, d.config.apiKey, encoded);
  }

  /** Sets `stream_options` for this deployment (the client's own, plus include_usage when supported and not refused). */
  private prepareStreamOptions(d: Deployment, ctx: CallContext, refused: boolean): boolean {
    if (!ctx.addStreamUsage) return false;
    const own = ctx.clientStreamOptions;
    if (!d.streamUsage || refused) {
      ctx.payload.stream_options = own;
      return false;
    }
    ctx.payload.stream_options =
      own && typeof own === 'object' ? { ...own, include_usage: true } : { include_usage: true };
    return true;
  }

  private failure(err: unknown, ctx: CallContext): Attempt {
    if (ctx.signal.aborted) throw new ClientGoneError();
    // The client's upload failed (too large, cut off): that ends the call, whatever the upstream did.
    const upload = ctx.upload?.failure;
    if (upload) throw upload;
    return { ok: false, failure: failureFromError(err) };
  }
}

/** The length of a request body as sent, worked out only if asked (a JSON body's bytes are counted then). */
function charsOf(json: UpstreamBody | null, upload: Upload | null): () => number {
  if (json === null) {
    const bytes = upload!.bytes;
    return () => bytes;
  }
  if (typeof json === 'string') {
    const chars = json.length;
    return () => chars;
  }
  return () => json.chars();
}

/** The head of a translated answer (the gateway wrote its body). */
const JSON_HEADERS: UpstreamHeaders = Object.freeze({ contentType: 'application/json' });

/** The route of the operations whose route is not `/<operation>`; those of Anthropic's API only reach its deployments. */
const OWN_ROUTES: Partial<Record<Operation, string>> = { chat: '/chat/completions' };
const ANTHROPIC_ROUTES: Partial<Record<Operation, string>> = {
  messages: '/v1/messages',
  count_tokens: '/v1/messages/count_tokens',
};

function unsupportedOperation(op: Operation, group: string, provider: string): GatewayError {
  const anthropic = ANTHROPIC_ROUTES[op];
  const route = anthropic ?? OWN_ROUTES[op] ?? `/${op}`;
  const served = anthropic ? `; ${route} reaches anthropic/ deployments` : '';
  return Errors.badRequest(
    `Model '${group}' is served by a ${provider}/ deployment, which does not take ${route} calls${served}`,
    'model',
    'unsupported_operation',
  );
}

function outcomeOf(f: AttemptFailure): UpstreamOutcome {
  if (f.kind !== 'status') return f.kind;
  if (f.status === 429) return 'rate_limited';
  return f.status === 401 || f.status === 403 ? 'auth_error' : 'server_error';
}
