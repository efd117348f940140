import 'reflect-metadata';
import { NestFactory } from '@nestjs/core';
import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import type { Logger } from 'pino';
import { AppModule } from './app.module';
import { GatewayFastifyAdapter } from './common/http/gateway-fastify.adapter';
import { fastifyOptions, installPipeline } from './common/http/pipeline';
import type { GatewayConfig } from './config/gateway-config';
import { PinoNestLogger } from './logging/logger';
import { DocsController } from './docs/docs.controller';

/** Builds the whole gateway (not yet listening). Used by main.ts and by the tests, so both run the same thing. */
export async function createGateway(config: GatewayConfig, log: Logger): Promise<NestFastifyApplication> {
  const adapter = new GatewayFastifyAdapter(fastifyOptions(config, log), log);
  const app = await NestFactory.create<NestFastifyApplication>(AppModule.forRoot(config, log), adapter, {
    logger: new PinoNestLogger(log),
    abortOnError: false,
    // Fastify's own JSON parser only: Nest's would add a form (urlencoded) parser this API has no use for.
    bodyParser: false,
  });
  installPipeline(app, config, log);
  app.get(DocsController).describe(app);
  return app;
}
