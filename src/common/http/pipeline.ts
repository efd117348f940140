import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import type { FastifyHttpOptions } from 'fastify';
import { randomBytes } from 'node:crypto';
import type { Server } from 'node:http';
import type { Logger } from 'pino';
import '../../auth/caller';
import { credentialFirst } from '../../auth/credentials/credential-first';
import { CREDENTIAL_DIGEST } from '../../auth/credentials/request-credential';
import { PUBLIC_ROUTE } from '../../auth/decorators/public.decorator';
import { AuthGuard } from '../../auth/guards/auth.guard';
import type { GatewayConfig } from '../../config/gateway-config';
import { AccessLog } from '../../logging/access-log';
import { GatewayMetrics } from '../../metrics/gateway-metrics';
import { CALL_REPORT } from '../../proxy/call-accounting';
import { CLIENT_ABORT } from '../../proxy/call-context';
import { CALL_RECORDER, CALL_TRACED, type CallRecorder } from '../../proxy/call-record';
import { takesChat, takesUpload } from '../../proxy/model-routes';
import { DIRECT_CONTROLLERS } from '../../proxy/proxy.module';
import { refusedCalls } from '../../proxy/refused-call';
import { elideLongStrings, LONG_BODY_MIN_BYTES } from '../../proxy/upstream/long-strings';
import { Errors } from '../errors/gateway-error';
import { counterIds } from '../ids/counter-ids';
import { sendError } from '../errors/openai-exception.filter';
import { BODY_SLOT, BodySlots } from './body-slots';
import { clientErrorHandler, refuseConnect } from './client-error';
import { directRoutes } from './direct-routes';
import { RAW_JSON, strictJsonParser } from './json-body';
import { ROUTE_URL, routeOf } from './route-url';
import { uploadStream } from './upload-body';

/*
 * The HTTP request pipeline: everything the gateway installs on Fastify, here, in the order a request meets it.
 *
 *   0. Connections          at most MAX_CONNECTIONS open; more are closed as they arrive.
 *   1. Node's HTTP parser   a malformed request (headers over 16 KB, CR/LF in a header, a bad request line) is
 *                           answered on the socket in the OpenAI error shape: clientErrorHandler. So is a client
 *                           too slow to send its headers (REQUEST_HEADERS_TIMEOUT_SECONDS) or its whole request,
 *                           body included (REQUEST_BODY_TIMEOUT_SECONDS): 408, and the connection is closed. The
 *                           answer is not timed: long streams and slow upstreams are not cut by these. A CONNECT
 *                           request is answered 405 there too (refuseConnect).
 *   2. Router               no route: 404; a path the router cannot take (bad percent-encoding, a parameter over
 *                           maxParamLength): frameworkErrors. Both in the OpenAI error shape.
 *   3. Request id           the client's `x-request-id` when it is sane, else `<process prefix>-<sequence>`.
 *   4. onRequest            the matched route kept on the request (routeOf), `x-request-id` on the answer, the
 *                           in-flight gauge, and one close listener: a client that hangs up aborts the upstream
 *                           call and gets its access line there. An HTTP/1.1 request without Host: 400.
 *   5. preParsing           protected routes only: the credential verified and the route checked (the global
 *                           AuthGuard's decision, 401/403) before the body is read, then a body slot taken
 *                           (MAX_REQUEST_BODIES_IN_FLIGHT, else 503): auth/credentials/credential-first.ts.
 *   6. Body                 JSON only (text/plain removed: 415), valid UTF-8 only, at most body_limit (413);
 *                           multipart uploads are left unread, streamed on by their route (proxy/upload); on a
 *                           route that takes none, 415.
 *   7. Guard                the global AuthGuard (a Nest guard, auth/guards/auth.guard.ts): @Public() routes pass,
 *                           the others were decided at stage 5. The model-call routes are direct routes (onRoute below): the same
 *                           guard and handler without Nest's per-request pipeline (common/http/direct-routes.ts).
 *   8. Handler              the controller; for model calls ProxyService: admission (limits, budget), routing,
 *                           the upstream call, the answer or stream relayed, spend recorded.
 *   9. Errors               anything thrown answers in the OpenAI error shape: Fastify's own errors (FST_*) in
 *                           GatewayFastifyAdapter, the rest through the global OpenAIExceptionFilter. A model call
 *                           refused after stage 5 and before its handler (its body) is recorded (onError).
 *  10. onResponse           request metrics and the access line.
 *
 * Request and reply decorations are declared before any request, so every request object has the same shape.
 */

const REQUEST_ID = /^[A-Za-z0-9._:-]{1,128}$/;
const CHECK_INTERVAL_MS = 1_000;

/** Fastify's options: stages 1 to 3, and the body limit of stage 6. */
export function fastifyOptions(config: GatewayConfig, log: Logger): FastifyHttpOptions<Server> {
  const nextId = counterIds(`${randomBytes(4).toString('hex')}-`);
  const { headersTimeoutMs, requestTimeoutMs } = config.server;
  return {
    logger: false,
    bodyLimit: config.server.bodyLimitBytes,
    trustProxy: typeof config.server.trustProxy === 'object' ? [...config.server.trustProxy] : config.server.trustProxy,
    // Node checks both timeouts on a timer: every second, rather than its default 30 s, so a slow client is cut
    // within a second of its bound. A request still being received is also cut at requestTimeout during shutdown.
    requestTimeout: requestTimeoutMs,
    http: {
      // Node's own refusal of an HTTP/1.1 request without Host is an empty 400: answered at stage 4 instead.
      requireHostHeader: false,
      headersTimeout: Math.min(headersTimeoutMs, requestTimeoutMs),
      requestTimeout: requestTimeoutMs,
      connectionsCheckingInterval: CHECK_INTERVAL_MS,
    },
    requestIdHeader: false,
    genReqId: (req: { headers: Record<string, string | string[] | undefined> }) => {
      const given = req.headers['x-request-id'];
      return typeof given === 'string' && REQUEST_ID.test(given) ? given : nextId();
    },
    return503OnClosing: true,
    forceCloseConnections: 'idle',
    clientErrorHandler,
    frameworkErrors: (err, req, reply) => sendError(reply, req, err, log),
    routerOptions: { ignoreTrailingSlash: true, maxParamLength: 1024 },
  };
}

/** Installs the decorations and hooks (stages 4 to 10) on the app's Fastify instance; call before `app.init()`. */
export function installPipeline(app: NestFastifyApplication, config: GatewayConfig, log: Logger): void {
  const fastify = app.getHttpAdapter().getInstance();

  fastify.decorateRequest('caller', undefined);
  fastify.decorateRequest('routePolicy', undefined);
  fastify.decorateRequest(CREDENTIAL_DIGEST, null);
  fastify.decorateRequest(ROUTE_URL, undefined);
  fastify.decorateRequest(BODY_SLOT, false);
  fastify.decorateRequest(RAW_JSON, null);
  fastify.decorateRequest(CALL_REPORT, null);
  fastify.decorateRequest(CALL_TRACED, false);
  fastify.decorateReply(CLIENT_ABORT, null);

  // Direct routes: put in place of Nest's handler as Nest declares each route at init.
  const direct = directRoutes(
    DIRECT_CONTROLLERS.map((c) => app.get(c)),
    app.get(AuthGuard),
  );
  const bodies = new BodySlots(config.server.maxBodiesInFlight);
  const verifyFirst = credentialFirst(app.get(AuthGuard), bodies);
  fastify.addHook('onRoute', (route) => {
    if ((route.config as Record<string, unknown> | undefined)?.[PUBLIC_ROUTE] !== true) {
      // Nest declares no route hooks; one added some other way must not run before the credential check.
      if (route.preParsing !== undefined) throw new Error(`${route.url} has a preParsing hook of its own`);
      route.preParsing = verifyFirst;
    }
    if (typeof route.method !== 'string') return;
    const handler = direct.get(`${route.method} ${route.url}`);
    if (handler !== undefined) route.handler = handler;
  });
  limitConnections(fastify.server, config.server.maxConnections, log);
  fastify.server.on('connect', refuseConnect);

  const metrics = app.get(GatewayMetrics);
  const access = new AccessLog(log, config.secrets);
  fastify.addHook('onRequest', (req, reply, done) => {
    req[ROUTE_URL] = req.routeOptions.url;
    // reply.header, not res.setHeader: a header set on the raw response sends Node's writeHead down its slow path.
    reply.header('x-request-id', req.id);
    const res = reply.raw;
    metrics.requestStarted();
    // Fastify's onResponse runs only for answers that finished: a client that hung up is logged here.
    res.on('close', () => {
      metrics.requestClosed();
      bodies.release(req);
      if (!res.writableFinished) {
        reply[CLIENT_ABORT]?.abort();
        access.write(req, reply, true);
      }
    });
    if (req.headers.host === undefined && req.raw.httpVersion === '1.1') {
      sendError(reply, req, Errors.badRequest('HTTP/1.1 requests need a Host header', null, 'missing_host'), log);
      return;
    }
    done();
  });

  // A chat call's long prompt is kept as the received bytes only (proxy/upstream/long-strings.ts).
  const json = strictJsonParser(fastify, bodies, (req, bytes) =>
    bytes.length >= LONG_BODY_MIN_BYTES && takesChat(req.routeOptions.url) ? elideLongStrings(bytes) : null,
  );
  fastify.removeContentTypeParser('text/plain');
  fastify.removeContentTypeParser('application/json');
  fastify.addContentTypeParser('application/json', { parseAs: 'buffer' }, json);
  fastify.addContentTypeParser('multipart/form-data', uploadStream(bodies, takesUpload));

  // Stage 9: a model call refused between its caller's check and its handler still leaves its spend log row.
  const refused = refusedCalls(app.get<CallRecorder>(CALL_RECORDER));
  fastify.addHook('onError', (req, reply, err, done) => {
    refused(req, reply, err);
    done();
  });

  fastify.addHook('onResponse', (req, reply, done) => {
    metrics.requestAnswered(routeOf(req), reply.statusCode);
    access.write(req, reply);
    done();
  });
}

/** Caps open connections (Node closes those past the bound as they arrive), with a warning at most every 10 s. */
function limitConnections(server: Server, max: number, log: Logger): void {
  server.maxConnections = max;
  let warnedAt = 0;
  let dropped = 0;
  server.on('drop', () => {
    dropped++;
    const now = Date.now();
    if (now - warnedAt < 10_000) return;
    warnedAt = now;
    log.warn({ maxConnections: max, dropped }, 'connection limit reached (MAX_CONNECTIONS): new connections closed');
    dropped = 0;
  });
}
