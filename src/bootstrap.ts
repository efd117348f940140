import 'reflect-metadata';
import { NestFactory } from '@nestjs/core';
import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import { randomBytes } from 'node:crypto';
import type { Logger } from 'pino';
import { AppModule } from './app.module';
import './auth/caller';
import { AuthGuard } from './auth/guards/auth.guard';
import { sendError } from './common/errors/openai-exception.filter';
import { useCredentialFirst } from './auth/guards/credential-first';
import { clientErrorHandler } from './common/http/client-error';
import { directRoutes, useDirectRoutes } from './common/http/direct-routes';
import { GatewayFastifyAdapter } from './common/http/gateway-fastify.adapter';
import { useStrictJsonBodies } from './common/http/json-body';
import { ROUTE_URL, routeOf } from './common/http/route-url';
import type { GatewayConfig } from './config/gateway-config';
import { AccessLog } from './logging/access-log';
import { PinoNestLogger } from './logging/logger';
import { GatewayMetrics } from './metrics/gateway-metrics';
import { CLIENT_ABORT } from './proxy/call-context';
import { DIRECT_CONTROLLERS } from './proxy/proxy.module';

const REQUEST_ID = /^[A-Za-z0-9._:-]{1,128}$/;

/** Builds the whole gateway (not yet listening). Used by main.ts and by the tests, so both run the same thing. */
export async function createGateway(config: GatewayConfig, log: Logger): Promise<NestFastifyApplication> {
  const prefix = randomBytes(4).toString('hex');
  let seq = 0;
  const adapter = new GatewayFastifyAdapter(
    {
      logger: false,
      bodyLimit: config.server.bodyLimitBytes,
      requestIdHeader: false,
      genReqId: (req: { headers: Record<string, string | string[] | undefined> }) => {
        const given = req.headers['x-request-id'];
        return typeof given === 'string' && REQUEST_ID.test(given) ? given : `${prefix}-${(++seq).toString(36)}`;
      },
      return503OnClosing: true,
      forceCloseConnections: 'idle',
      // Header overflow (431), CR/LF/NUL in a header, a bad request line: answered in the OpenAI error shape.
      clientErrorHandler,
      // Errors the router raises before any route or hook (bad percent-encoding, a path segment over
      // maxParamLength): the same OpenAI error shape, without echoing the path.
      frameworkErrors: (err, req, reply) => sendError(reply, req, err, log),
      routerOptions: { ignoreTrailingSlash: true, maxParamLength: 1024 },
    },
    log,
  );
  const app = await NestFactory.create<NestFastifyApplication>(AppModule.forRoot(config, log), adapter, {
    logger: new PinoNestLogger(log),
    abortOnError: false,
    // Fastify's own JSON parser only: Nest's would add a form (urlencoded) parser this API has no use for.
    bodyParser: false,
  });
  const fastify = app.getHttpAdapter().getInstance();
  // The model-call routes skip Nest's per-request pipeline, guarded by the same guard (before init declares the routes).
  useDirectRoutes(
    fastify,
    directRoutes(
      DIRECT_CONTROLLERS.map((c) => app.get(c)),
      app.get(AuthGuard),
    ),
  );
  const metrics = app.get(GatewayMetrics);
  fastify.decorateReply(CLIENT_ABORT, null);
  fastify.decorateRequest(ROUTE_URL, undefined);
  const access = new AccessLog(log, config.secrets);
  fastify.addHook('onRequest', (req, reply, done) => {
    req[ROUTE_URL] = req.routeOptions.url;
    // reply.header, not res.setHeader: a header set on the raw response sends Node's writeHead down its slow path.
    reply.header('x-request-id', req.id);
    const res = reply.raw;
    metrics.requestStarted();
    // One close listener per request: the in-flight gauge, and the client hanging up (the forwarded call is aborted,
    // and the access line written here: Fastify's onResponse runs only for answers that finished).
    res.on('close', () => {
      metrics.requestClosed();
      if (!res.writableFinished) {
        reply[CLIENT_ABORT]?.abort();
        access.write(req, reply, true);
      }
    });
    done();
  });
  fastify.addHook('onResponse', (req, reply, done) => {
    metrics.requestAnswered(routeOf(req), reply.statusCode);
    access.write(req, reply);
    done();
  });
  // The API speaks JSON only: without Fastify's default text/plain parser, any other content type is a 415.
  fastify.removeContentTypeParser('text/plain');
  useStrictJsonBodies(fastify);
  useCredentialFirst(fastify);
  return app;
}
