import type { FastifyReply, FastifyRequest } from 'fastify';
import pino, { type DestinationStream, type Logger } from 'pino';
import type { Caller } from '../auth/caller';
import { pathOf, routeOf } from '../common/http/route-url';
import { scrub, scrubList } from '../common/redact';
import { CALL_REPORT, type CallReport } from '../proxy/call-accounting';
import type { BatchingDestination } from './batching-destination';

/** The logger's destination: stdout batches (BatchingDestination), a test's capture stream does not. */
type LineSink = DestinationStream & Partial<Pick<BatchingDestination, 'batch'>>;

const HEAD = '{"level":"info","time":"';
/** A JSON string of `s`: as is between quotes when it is printable ASCII without `"` and `\` (the usual path). */
function quoted(s: string): string {
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c < 0x20 || c > 0x7e || c === 0x22 || c === 0x5c) return JSON.stringify(s);
  }
  return `"${s}"`;
}

/**
 * `String(Math.round(ms * 100) / 100)`, the same text, from integers: a double with a fraction is printed by V8's
 * shortest-digits algorithm (slow), while small integers come from its number-string cache.
 */
export function hundredths(ms: number): string {
  const h = Math.round(ms * 100);
  if (!(h >= 0 && h <= 0x7fffffff)) return String(h / 100);
  const whole = (h / 100) | 0;
  const frac = h - whole * 100;
  if (frac === 0) return `${whole}`;
  if (frac % 10 === 0) return `${whole}.${frac / 10}`;
  return `${whole}.${frac < 10 ? '0' : ''}${frac}`;
}

/**
 * A cost in USD as a JSON number, to the nano-dollar: from integers, as `hundredths` does (printing a fraction runs
 * V8's shortest-digits algorithm, a visible cost per line). Trailing zeros are kept: still the same number.
 */
export function usd(cost: number): string {
  const nano = Math.round(cost * 1e9);
  if (nano === 0) return '0';
  if (!(nano > 0 && nano <= 0x7fffffff)) return String(Math.round(cost * 1e9) / 1e9);
  const whole = (nano / 1e9) | 0;
  const frac = `${nano - whole * 1e9}`;
  return `${whole}.${'000000000'.slice(frac.length)}${frac}`;
}

/**
 * The one access-log line per request, at `info`. It is on every request's path, so it is written as a
 * pre-shaped JSON string straight to the logger's destination (the same stream and fields as a `log.info(...)` line,
 * and the same scrubbing of what a client can put in them), without pino's generic per-call work: object walk,
 * redaction paths, formatters; and batched when the destination batches (stdout: written within 50 ms). At `warn`
 * and above it costs one test.
 */
export class AccessLog {
  private readonly sink: LineSink | null;
  /** After the time: the logger's base fields (`svc`), as pino writes them. */
  private readonly tail: string;
  private readonly secrets: readonly string[];
  /** The current second's ISO prefix (`2026-11-27T07:40:00.`) and its start, in ms: a Date is formatted once a second. */
  private second = -1;
  private secondIso = '';
  /**
   * The logged form of paths that are a route as declared (no parameters): the route table is fixed, so this stays
   * small, and such a path is scrubbed and quoted once instead of on every request. Client-chosen paths (a route
   * parameter, a 404) are never kept.
   */
  private readonly routePaths = new Map<string, string>();
  private readonly callerFields = new WeakMap<Caller, string>();
  /** `,"model_group":...,"model_id":...` per group and deployment: both come from the config, so this stays small. */
  private readonly modelFields = new Map<string, Map<string, string>>();

  constructor(log: Logger, secrets: readonly string[]) {
    this.secrets = scrubList(secrets);
    this.sink = log.isLevelEnabled('info')
      ? ((log as unknown as Record<symbol, LineSink>)[pino.symbols.streamSym] ?? null)
      : null;
    const bindings = log.bindings();
    const base = Object.keys(bindings).length ? `,${JSON.stringify(bindings).slice(1, -1)}` : '';
    this.tail = `"${base}`;
  }

  /**
   * `abandoned`: the client closed the connection before the answer was complete (the line says `"aborted":true`,
   * with status 499, nginx's "client closed request", when no answer had started).
   */
  write(req: FastifyRequest, reply: FastifyReply, abandoned = false): void {
    if (this.sink === null) return;
    const c = req.caller;
    const path = pathOf(req.url);
    // Only the fields a client can choose are scrubbed (the request id, which a client may send; the path; claims):
    // a secret can only reach the line through one of them, and scanning a few short strings costs far less than
    // flattening and scanning the whole line. The method is one Fastify routes; the role an enum; the key a hash.
    // A request id the gateway made up (prefix-sequence) holds nothing to scrub; one the client sent is scrubbed.
    const id = req.id === req.headers['x-request-id'] ? this.clean(req.id) : req.id;
    const who = c === undefined ? '' : this.fieldsOf(c);
    const call = req[CALL_REPORT];
    const what = call == null ? '' : this.callFields(call);
    const out = `${HEAD}${this.isoNow()}${this.tail},"reqId":"${id}","method":"${req.method}","path":${this.loggedPath(path, routeOf(req))},"status":${abandoned && !reply.raw.headersSent ? 499 : reply.statusCode},"ms":${hundredths(reply.elapsedTime)}${who}${what}${abandoned ? ',"aborted":true' : ''},"msg":"request"}\n`;
    if (this.sink.batch !== undefined) this.sink.batch(out);
    else this.sink.write(out);
  }

  /**
   * The caller's fields (`,"role":...` up to the key's first 12 characters). A caller with a field a client chose (a
   * team, user or key alias, scrubbed and quoted) has them made on its first request and kept while the caller object
   * lives: the guard hands out one frozen caller per key or verified token, so a JWT's claims are not scrubbed and
   * quoted again on every request. A key's caller without any is written as it comes: a used key then keeps no
   * string and no weak-map entry here (a million keys, a million of each).
   */
  private fieldsOf(c: Caller): string {
    if (c.teamId === undefined && c.userId === undefined && c.keyAlias === undefined)
      return c.token === undefined ? `,"role":"${c.role}"` : `,"role":"${c.role}","key":"${c.token.slice(0, 12)}"`;
    let fields = this.callerFields.get(c);
    if (fields === undefined) {
      fields = `,"role":"${c.role}"`;
      if (c.teamId !== undefined) fields += `,"team":${JSON.stringify(this.clean(c.teamId))}`;
      if (c.userId !== undefined) fields += `,"user":${JSON.stringify(this.clean(c.userId))}`;
      if (c.token !== undefined) fields += `,"key":"${c.token.slice(0, 12)}"`;
      if (c.keyAlias !== undefined) fields += `,"key_alias":${JSON.stringify(this.clean(c.keyAlias))}`;
      this.callerFields.set(c, fields);
    }
    return fields;
  }

  /**
   * A model call's fields: its model group and deployment (LiteLLM's names: `model_group`, `model_id`), tokens and
   * spend in USD. Numbers are written from integers (see `hundredths`); the names are quoted once per deployment.
   */
  private callFields(r: CallReport): string {
    let byDeployment = this.modelFields.get(r.modelGroup);
    if (byDeployment === undefined) this.modelFields.set(r.modelGroup, (byDeployment = new Map<string, string>()));
    let names = byDeployment.get(r.deploymentId);
    if (names === undefined) {
      names = `,"model_group":${JSON.stringify(this.clean(r.modelGroup))},"model_id":${JSON.stringify(this.clean(r.deploymentId))}`;
      byDeployment.set(r.deploymentId, names);
    }
    return `${names},"prompt_tokens":${r.promptTokens},"completion_tokens":${r.completionTokens},"spend":${usd(r.cost)}`;
  }

  /** `path` as a JSON string, scrubbed; `route`: the matched route as declared (undefined when none matched). */
  private loggedPath(path: string, route: string | undefined): string {
    if (route !== path) return quoted(this.clean(path));
    let logged = this.routePaths.get(route);
    if (logged === undefined) {
      logged = quoted(this.clean(path));
      this.routePaths.set(route, logged);
    }
    return logged;
  }

  /** A client-chosen field without any configured secret, bearer token or sk- key (see `scrub`). */
  private clean(field: string): string {
    return scrub(field, this.secrets);
  }

  /** `new Date().toISOString()`, formatting a Date only when the second changes (formatting is slow). */
  private isoNow(): string {
    const now = Date.now();
    const ms = now - this.second;
    if (ms < 0 || ms >= 1000) {
      this.second = now - (now % 1000);
      this.secondIso = new Date(this.second).toISOString().slice(0, 20);
      return this.isoNow();
    }
    return `${this.secondIso}${ms < 10 ? '00' : ms < 100 ? '0' : ''}${ms}Z`;
  }
}
