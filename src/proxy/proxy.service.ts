import { Inject, Injectable } from '@nestjs/common';
import type { FastifyReply, FastifyRequest } from 'fastify';
import type { Logger } from 'pino';
import type { Caller } from '../auth/caller';
import { Errors } from '../common/errors/gateway-error';
import { RAW_JSON } from '../common/http/json-body';
import { sendRaw } from '../common/http/raw-head';
import { APP_LOGGER } from '../logging/logger';
import { CALL_ACCOUNTING, CALL_REPORT, type Admission, type CallAccounting, type CallReport } from './call-accounting';
import { CALL_RECORDER, CallTrace, type CallRecorder } from './call-record';
import { CLIENT_ABORT, ClientAbort, ClientGoneError, type CallContext } from './call-context';
import { validateBody } from './dto/validate-body';
import { ForwarderService, type Forwarded } from './forwarder.service';
import { pushKeyHeaders } from './key-headers';
import { ModelCatalog } from './models/model-catalog.service';
import type { Operation } from './providers/provider';
import { RouterService } from './router/router.service';
import { encodeIdsInAnswer } from './responses/response-id';
import { followUpChain } from './responses/follow-up';
import { ResponsesRelay } from './responses/responses-relay';
import { SseRelay } from './streaming/sse-relay';
import { BytesRelay } from './streaming/stream-relay';
import { MultipartUpload } from './upload/multipart-upload';
import { GATEWAY_CONFIG, type GatewayConfig } from '../config/gateway-config';
import { relayStream } from './streaming/stream-responder';
import { CallDrain } from './call-drain';
import type { Usage } from './streaming/usage';
import { callCost } from './call-cost';
import { Reservation } from './reservation';
import { CLIENT_JSON_MIN_BYTES, ClientJson, restringifiable } from './upstream/client-json';
import { anthropicClientHeaders } from './providers/anthropic/anthropic-client-headers';

type Report = (report: CallReport | null) => void;

/** The operations that answer an event stream when the body asks for `stream: true`. */
const EVENT_STREAMS: Readonly<Record<Operation, boolean>> = {
  chat: true,
  completions: true,
  responses: true,
  messages: true,
  count_tokens: false,
  embeddings: false,
  moderations: false,
  images: false,
  speech: false,
  transcriptions: false,
  translations: false,
};

/** The model OpenAI's moderations use when the request names none. */
const MODERATION_MODEL = 'omni-moderation-latest';

/** A model group name as it may appear in the Azure path: no slash, no dot-dot, no odd characters. */
const PATH_GROUP = /^[A-Za-z0-9_][A-Za-z0-9._:@+=-]{0,255}$/;

/**
 * One model call, end to end: validate the body, resolve the model group, admit the caller (keys accounting),
 * forward (router + retries + fallbacks), answer (JSON or SSE), and report tokens, cost and latency once.
 */
@Injectable()
export class ProxyService {
  constructor(
    private readonly router: RouterService,
    private readonly forwarder: ForwarderService,
    private readonly catalog: ModelCatalog,
    @Inject(CALL_ACCOUNTING) private readonly accounting: CallAccounting,
    @Inject(APP_LOGGER) private readonly log: Logger,
    @Inject(CALL_RECORDER) private readonly recorder: CallRecorder,
    @Inject(GATEWAY_CONFIG) config: GatewayConfig,
    private readonly drain: CallDrain,
  ) {
    this.bodyLimit = config.server.bodyLimitBytes;
  }

  /** The most bytes a request body may have (an upload's too). */
  private readonly bodyLimit: number;

  /** Serves the call, then hands its trace (status, tokens, cost, times; no content) to the recorder. */
  async handle(op: Operation, req: FastifyRequest, reply: FastifyReply, pathGroup?: string): Promise<void> {
    const trace = new CallTrace(req, op, performance.now());
    this.drain.started();
    try {
      await this.serve(op, req, reply, pathGroup, trace);
    } catch (err) {
      trace.failed(err);
      throw err;
    } finally {
      this.record(trace);
      this.drain.ended();
    }
  }

  private async serve(
    op: Operation,
    req: FastifyRequest,
    reply: FastifyReply,
    pathGroup: string | undefined,
    trace: CallTrace,
  ): Promise<void> {
    const started = trace.startedAt;
    if (pathGroup !== undefined && (!PATH_GROUP.test(pathGroup) || pathGroup.includes('..'))) {
      throw Errors.badRequest('Invalid deployment name in the URL path', 'model', 'invalid_model_name');
    }
    let payload: Record<string, unknown>;
    let upload: MultipartUpload | null = null;
    let client: ClientJson | null = null;
    // The body's size: its Content-Length, or the bytes received of a chunked one (undefined: neither; null: upload).
    let size: string | null | undefined = null;
    if (op === 'transcriptions' || op === 'translations') {
      upload = await MultipartUpload.open(req, this.bodyLimit, pathGroup);
      payload = { model: upload.model };
    } else {
      const body = req.body as Record<string, unknown> | null;
      // Taken before anything changes the body: its top-level values as parsed from these bytes (a small body that
      // JSON.stringify writes faithfully is written out again instead).
      const raw = req[RAW_JSON];
      if (raw !== null && isPlainObject(body) && !(raw.bytes.length < CLIENT_JSON_MIN_BYTES && restringifiable(body)))
        client = new ClientJson(raw, body);
      size = req.headers['content-length'] ?? (raw !== null ? String(raw.bytes.length) : undefined);
      req[RAW_JSON] = null; // held by the call from here, and let go once a copy of it is sent
      // Azure form: the path names the model group, whatever the body says.
      if (pathGroup !== undefined && isPlainObject(body)) body.model = pathGroup;
      // OpenAI's moderations may name no model (its default): served by a group answering to that default, if any.
      if (
        op === 'moderations' &&
        isPlainObject(body) &&
        body.model === undefined &&
        this.router.group(MODERATION_MODEL)
      )
        body.model = MODERATION_MODEL;
      payload = validateBody(op, body);
    }
    const groupName = payload.model as string;
    trace.model = groupName;
    // The global auth guard sets the caller on every non-public route; it is only handed on, never read here.
    const caller = req.caller as Caller;
    let group = this.router.group(groupName);
    if (!group) {
      // A virtual key's own `aliases`: a name it may send for a model group.
      const aliased = this.accounting.aliasOf(caller, groupName);
      group = aliased !== undefined ? this.router.group(aliased) : undefined;
      if (!group) {
        upload?.discard();
        throw this.unknownModel(groupName, caller);
      }
    }
    // Admitted, limited and reported as the group it calls; a wildcard group as the name requested.
    const accountAs = group.name === groupName || group.name.includes('*') ? groupName : group.name;
    const endUser = typeof payload.user === 'string' && payload.user !== '' ? payload.user : undefined;
    const worst = new Reservation(op, payload, size, group, this.router, groupName);
    let admission: Admission;
    try {
      const admitted = this.accounting.admit(caller, accountAs, endUser, worst);
      admission = admitted instanceof Promise ? await admitted : admitted;
    } catch (err) {
      upload?.discard();
      throw err;
    }
    trace.keyTags = admission.tags ?? null;
    trace.admitted(admission.owners);
    const tags = callTags(admission.tags, trace.requestTags);
    // LiteLLM's own parameter: read with the request's tags, never sent on (an OpenAI-format upstream refuses it).
    if (payload.tags !== undefined) payload.tags = undefined;
    const report = this.reporter(admission);
    // The forwarding, written out here rather than as its own async function (one promise less per call).
    const stream = payload.stream === true ? EVENT_STREAMS[op] : op === 'speech';
    const own = payload.stream_options as { include_usage?: unknown } | null | undefined;
    const abort = new ClientAbort();
    reply[CLIENT_ABORT] = abort; // aborted by the request's close listener (common/http/pipeline.ts) if the client hangs up
    const ctx: CallContext = {
      op,
      reqId: req.id,
      requestedModel: groupName,
      allowedGroups: admission.models,
      payload,
      client,
      stream,
      anyStream: op === 'speech',
      addStreamUsage: stream && own?.include_usage !== true && (op === 'chat' || op === 'completions'),
      clientStreamOptions: own,
      signal: abort,
      upstreamHeaders: op === 'messages' || op === 'count_tokens' ? anthropicClientHeaders(req.headers) : undefined,
      upload,
      attempted: null,
    };
    let fwd: Forwarded | undefined;
    try {
      // Gone already (during authentication or admission): the close listener found nothing to abort; never sent.
      if (reply.raw.destroyed) throw new ClientGoneError();
      fwd =
        op === 'responses'
          ? await this.forwarder.forward(ctx, group, followUpChain(payload, group, this.router))
          : await this.forwarder.forward(ctx, group, this.router.chainForTags(group, tags));
      if (fwd.stream) {
        // OpenAI-format streams pass through byte for byte; a provider with its own format translates its stream.
        const side = fwd.deployment.provider.response;
        const relay =
          side !== undefined
            ? side.stream(op, Math.floor(Date.now() / 1000), own?.include_usage === true, payload)
            : op === 'responses'
              ? new ResponsesRelay(fwd.deployment.id)
              : op === 'speech'
                ? new BytesRelay(fwd.headers.contentType)
                : new SseRelay(ctx.addStreamUsage);
        const head = ['x-litellm-model-id', fwd.deployment.headerId, 'x-litellm-call-id', req.id];
        if (admission.key) pushKeyHeaders(head, admission.key);
        const end = await relayStream(reply, fwd.stream, relay, head, abort, fwd.deployment.streamTimeoutMs);
        const usage = relay.usage ?? {
          promptTokens: Math.ceil(fwd.requestChars() / 4),
          completionTokens: relay.events,
        };
        this.finish(req, report, accountAs, ctx, fwd, usage, started, end.ok, trace);
        trace.streamEnded(end);
        if (end.clientGone && this.drain.cutting) {
          // Cut by shutdown at SHUTDOWN_TIMEOUT_SECONDS: billed as a hang-up is, from what it delivered.
          this.log.warn(
            { reqId: req.id, model: groupName, deployment: fwd.deployment.id, tokens: usage, spend: trace.spend },
            'stream cut at shutdown; billed for what it delivered',
          );
        }
        if (end.tail !== undefined) reply.raw.end(end.tail);
        return;
      }
      const encoded = fwd.headers.contentEncoding;
      const usage = fwd.usage ?? { promptTokens: 0, completionTokens: 0 };
      const cost = callCost(usage, fwd.deployment, ctx.requestedModel);
      // LiteLLM's answer headers that scripts read: the call's cost (known before a JSON answer is sent) and its id.
      const head = [
        'content-type',
        fwd.headers.contentType ?? 'application/json',
        'x-litellm-model-id',
        fwd.deployment.headerId,
        'x-litellm-call-id',
        req.id,
        'x-litellm-response-cost',
        String(cost),
      ];
      if (encoded) head.push('content-encoding', encoded);
      if (admission.key) pushKeyHeaders(head, admission.key);
      sendRaw(
        reply,
        fwd.statusCode,
        head,
        op === 'responses' ? encodeIdsInAnswer(fwd.body!, fwd.deployment.id) : fwd.body!,
      );
      this.finish(req, report, accountAs, ctx, fwd, usage, started, true, trace, cost);
    } catch (err) {
      report(null);
      trace.deployment ??= ctx.attempted;
      if (err instanceof ClientGoneError) return trace.clientGone();
      throw err;
    } finally {
      if (fwd) fwd.deployment.active--;
      upload?.discard();
    }
  }

  private finish(
    req: FastifyRequest,
    report: Report,
    group: string,
    ctx: CallContext,
    fwd: Forwarded,
    usage: Usage,
    started: number,
    ok: boolean,
    trace: CallTrace,
    cost = callCost(usage, fwd.deployment, ctx.requestedModel),
  ): void {
    const d = fwd.deployment;
    d.usage.countTokens(Date.now(), usage.promptTokens + usage.completionTokens);
    trace.served(fwd, usage, cost);
    const r: CallReport = {
      modelGroup: group,
      deploymentId: d.id,
      promptTokens: usage.promptTokens,
      completionTokens: usage.completionTokens,
      cost,
      latencyMs: performance.now() - started,
      ok,
    };
    req[CALL_REPORT] = r;
    report(r);
  }

  /** The recorder never breaks an answer: a failure there is logged. */
  private record(trace: CallTrace): void {
    trace.endedAt = performance.now();
    try {
      this.recorder.record(trace);
    } catch (err) {
      this.log.error({ err }, 'recording the call failed');
    }
  }

  /** `admission.done`, guaranteed to run exactly once per call, and never to break the answer. */
  private reporter(admission: Admission): Report {
    let reported = false;
    return (r) => {
      if (reported) return;
      reported = true;
      try {
        admission.done(r);
      } catch (err) {
        this.log.error({ err }, 'call accounting failed');
      }
    };
  }

  private unknownModel(name: string, caller: Caller) {
    const unavailable = this.router.unavailableReason(name);
    if (unavailable)
      return Errors.badRequest(`Model '${name}' cannot be called: ${unavailable}`, 'model', 'provider_not_supported');
    const groups = this.catalog.visible(this.accounting.allowedModels(caller));
    const shown = name.length > 100 ? `${name.slice(0, 100)}...` : name;
    const list = groups.length ? groups.join(', ') : '(none)';
    return Errors.notFound(
      `Model '${shown}' not found. Model groups available to you: ${list}`,
      'model_not_found',
      'model',
    );
  }
}

function isPlainObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** The key's tags and the request's own (strings only), for tag-based routing; undefined when none. */
function callTags(
  keyTags: readonly string[] | null | undefined,
  asked: unknown[] | undefined,
): readonly string[] | undefined {
  if (asked === undefined) return keyTags && keyTags.length > 0 ? keyTags : undefined;
  const all = new Set(keyTags ?? []);
  for (const t of asked) if (typeof t === 'string' && t.length <= 256) all.add(t);
  return all.size > 0 ? [...all] : undefined;
}
