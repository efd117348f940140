import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import { createGateway } from './bootstrap';
import { StartupError } from './common/errors/startup-error';
import type { GatewayConfig } from './config/gateway-config';
import { alwaysShown, createLogger, problemsLogged } from './logging/logger';
import { logStartSummary } from './logging/start-summary';
import { CallDrain } from './proxy/call-drain';

/** How often shutdown closes the keep-alive connections that went idle. */
const IDLE_SWEEP_MS = 50;
/** The longest shutdown waits for calls cut at the bound to record their spend. */
const CUT_SETTLE_MS = 2_000;

/** Starts listening and installs graceful shutdown: stop accepting, finish in-flight (bounded), flush, close. */
export async function runGateway(config: GatewayConfig): Promise<NestFastifyApplication> {
  const { logFormat, logLevel } = config.server;
  const tty = process.stdout.isTTY === true;
  const pretty = logFormat === 'pretty' || (logFormat === 'auto' && tty);
  const log = createLogger({
    level: logLevel,
    secrets: config.secrets,
    format: pretty ? 'pretty' : 'json',
    color: tty,
  });
  for (const w of config.warnings) log.warn(w);
  const app = await createGateway(config, log);
  await app.listen(config.server.port, config.server.host).catch(async (err: unknown) => {
    await app.close().catch(() => undefined);
    throw listenFailure(err, config);
  });
  // The bound port, not the configured one: with PORT=0 the system picks it, and the summary is how to learn it.
  const address = app.getHttpServer().address();
  const port = address && typeof address === 'object' ? address.port : config.server.port;
  logStartSummary(alwaysShown(log), config, port, problemsLogged(log));

  let stopping = false;
  const stop = async (signal: NodeJS.Signals) => {
    if (stopping) return;
    stopping = true;
    log.info({ signal }, 'shutting down: finishing in-flight requests');
    const force = setTimeout(
      () => {
        log.error({ timeoutMs: config.server.shutdownTimeoutMs }, 'shutdown timed out; exiting');
        log.flush();
        process.exit(1);
      },
      config.server.shutdownTimeoutMs + CUT_SETTLE_MS + 5_000,
    );
    force.unref();
    const fastify = app.getHttpAdapter().getInstance();
    const calls = app.get(CallDrain);
    // 1. stop accepting and wait for in-flight requests, bounded; open streams are cut after the bound. A keep-alive
    // connection is closed as soon as it is idle (its last answer sent), not kept until its keep-alive timeout.
    const drained = fastify.close();
    const idle = setInterval(() => fastify.server.closeIdleConnections(), IDLE_SWEEP_MS);
    const bound = setTimeout(() => {
      calls.cutting = true;
      fastify.server.closeAllConnections();
    }, config.server.shutdownTimeoutMs);
    await drained.catch(() => undefined);
    clearTimeout(bound);
    clearInterval(idle);
    // 2. the calls cut at the bound settle (billed, their spend log rows recorded) before anything is flushed.
    await calls.idle(CUT_SETTLE_MS);
    // 3. Nest hooks: flush spend (onModuleDestroy), then close the database (onApplicationShutdown).
    await app.close().catch((err: unknown) => log.error({ err }, 'error during shutdown'));
    log.info('stopped');
    log.flush();
    process.exit(0);
  };
  process.once('SIGTERM', () => void stop('SIGTERM'));
  process.once('SIGINT', () => void stop('SIGINT'));
  return app;
}

/** The listen error as the one line that says what to change; others as they are. */
function listenFailure(err: unknown, config: GatewayConfig): unknown {
  const { port, host } = config.server;
  switch ((err as NodeJS.ErrnoException).code) {
    case 'EADDRINUSE':
      return new StartupError(`port ${port} is in use (set --port or PORT)`);
    case 'EACCES':
      return new StartupError(`port ${port} needs privileges this user lacks (set --port or PORT, 1024 or above)`);
    case 'EADDRNOTAVAIL':
      return new StartupError(`address ${host} is not one of this machine's (set --host or HOST)`);
    default:
      return err;
  }
}
