import type { LoggerService } from '@nestjs/common';
import pino, { type DestinationStream, type Logger } from 'pino';
import { StartupError } from '../common/errors/startup-error';
import { REDACTED, scrub, scrubList } from '../common/redact';
import { batchingDestination } from './batching-destination';
import { prettyDestination } from './pretty';

export const APP_LOGGER = Symbol('APP_LOGGER');

/** Header names that carry credentials: never logged. */
export const CREDENTIAL_HEADERS = [
  'authorization',
  'api-key',
  'x-litellm-api-key',
  'x-api-key',
  'cookie',
  'proxy-authorization',
];

export interface LoggerOptions {
  level: string;
  secrets: readonly string[];
  /** `pretty`: lines for a person (see pretty.ts), coloured when `color`; default JSON lines. */
  format?: 'json' | 'pretty';
  color?: boolean;
}

/**
 * JSON logs (or pretty ones). Credential headers are removed by path, and every configured secret value is scrubbed
 * from the final line as a last line of defence (a secret that reached a log message by accident still never lands).
 */
export function createLogger(opts: LoggerOptions, destination?: DestinationStream): Logger {
  const secrets = scrubList(opts.secrets);
  const problems = { count: 0 };
  const redactPaths = CREDENTIAL_HEADERS.flatMap((h) => [`req.headers["${h}"]`, `headers["${h}"]`]);
  const log = pino(
    {
      level: opts.level,
      base: { svc: 'llm-gateway' },
      timestamp: pino.stdTimeFunctions.isoTime,
      redact: { paths: redactPaths, censor: REDACTED },
      formatters: { level: (label) => ({ level: label }) },
      hooks: {
        // Always scrub: bearer tokens and sk- keys are removed even when no secret is configured.
        streamWrite: (line) => scrub(line, secrets),
        // Counted for the start-up summary ("2 warnings above"); the access lines do not pass here.
        logMethod(args, method, level) {
          if (level >= WARN) problems.count++;
          return method.apply(this, args);
        },
      },
    },
    opts.format === 'pretty'
      ? prettyDestination(destination ?? batchingDestination(1), opts.color === true)
      : (destination ?? batchingDestination(1)),
  );
  return Object.assign(log, { [PROBLEMS]: problems });
}

const WARN = 40;
const PROBLEMS = Symbol('problems');

/** How many warnings and errors the logger has written so far (0 for a logger not made by createLogger). */
export function problemsLogged(log: Logger): number {
  return (log as Logger & { [PROBLEMS]?: { count: number } })[PROBLEMS]?.count ?? 0;
}

/**
 * A logger for the few lines an operator must see whatever LOG_LEVEL says (where the gateway listens, the start-up
 * summary): info even when the level is warn or error; nothing at `silent`.
 */
export function alwaysShown(log: Logger): Logger {
  return log.level === 'silent' || log.isLevelEnabled('info') ? log : log.child({}, { level: 'info' });
}

/**
 * Nest's start-up chatter ("Mapped {...} route", "dependencies initialized", "successfully started"): debug, so the
 * lines an operator needs at start (warnings, the summary) are not buried under one line per route.
 */
const NEST_CHATTER = new Set(['NestFactory', 'InstanceLoader', 'RoutesResolver', 'RouterExplorer', 'NestApplication']);

/** Nest's own log lines (boot, errors) go through the same pino logger. */
export class PinoNestLogger implements LoggerService {
  constructor(private readonly pino: Logger) {}
  log(message: unknown, context?: string) {
    if (context !== undefined && NEST_CHATTER.has(context)) this.pino.debug({ context }, String(message));
    else this.pino.info({ context }, String(message));
  }
  error(message: unknown, trace?: string, context?: string) {
    // Printed by main.ts as the one line the start failed with; a second copy here would only add noise.
    if (message instanceof StartupError) return;
    this.pino.error({ context, trace }, String(message));
  }
  warn(message: unknown, context?: string) {
    this.pino.warn({ context }, String(message));
  }
  debug(message: unknown, context?: string) {
    this.pino.debug({ context }, String(message));
  }
  verbose(message: unknown, context?: string) {
    this.pino.trace({ context }, String(message));
  }
}
