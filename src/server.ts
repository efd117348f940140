import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import { createGateway } from './bootstrap';
import type { GatewayConfig } from './config/gateway-config';
import { createLogger } from './logging/logger';

/** Starts listening and installs graceful shutdown: stop accepting, finish in-flight (bounded), flush, close. */
export async function runGateway(config: GatewayConfig): Promise<NestFastifyApplication> {
  const log = createLogger({ level: config.server.logLevel, secrets: config.secrets });
  for (const w of config.warnings) log.warn(w);
  const app = await createGateway(config, log);
  await app.listen(config.server.port, config.server.host);
  // The bound port, not the configured one: with PORT=0 the system picks it, and this line is how to learn it.
  const address = app.getHttpServer().address();
  const port = address && typeof address === 'object' ? address.port : config.server.port;
  log.info(
    { port, host: config.server.host, config: config.configFile, database: config.database.kind },
    'gateway listening',
  );

  let stopping = false;
  const stop = async (signal: NodeJS.Signals) => {
    if (stopping) return;
    stopping = true;
    log.info({ signal }, 'shutting down: finishing in-flight requests');
    const force = setTimeout(() => {
      log.error({ timeoutMs: config.server.shutdownTimeoutMs }, 'shutdown timed out; exiting');
      log.flush();
      process.exit(1);
    }, config.server.shutdownTimeoutMs + 5_000);
    force.unref();
    const fastify = app.getHttpAdapter().getInstance();
    // 1. stop accepting and wait for in-flight requests, bounded; open streams are cut after the bound.
    const drained = fastify.close();
    const bound = setTimeout(() => fastify.server.closeAllConnections(), config.server.shutdownTimeoutMs);
    await drained.catch(() => undefined);
    clearTimeout(bound);
    // 2. Nest hooks: flush spend (onModuleDestroy), then close the database (onApplicationShutdown).
    await app.close().catch((err: unknown) => log.error({ err }, 'error during shutdown'));
    log.info('stopped');
    log.flush();
    process.exit(0);
  };
  process.once('SIGTERM', () => void stop('SIGTERM'));
  process.once('SIGINT', () => void stop('SIGINT'));
  return app;
}
