import type { LoggerService } from '@nestjs/common';
import pino, { type DestinationStream, type Logger } from 'pino';
import { batchingDestination } from './batching-destination';

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

const REDACTED = '[REDACTED]';

/**
 * JSON logs. Credential headers are removed by path, and every configured secret value is scrubbed from the
 * final line as a last line of defence (a secret that reached a log message by accident still never lands).
 */
export function createLogger(
  opts: { level: string; secrets: readonly string[] },
  destination?: DestinationStream,
): Logger {
  const secrets = scrubList(opts.secrets);
  const redactPaths = CREDENTIAL_HEADERS.flatMap((h) => [`req.headers["${h}"]`, `headers["${h}"]`]);
  return pino(
    {
      level: opts.level,
      base: { svc: 'llm-gateway' },
      timestamp: pino.stdTimeFunctions.isoTime,
      redact: { paths: redactPaths, censor: REDACTED },
      formatters: { level: (label) => ({ level: label }) },
      // Always scrub: bearer tokens and sk- keys are removed even when no secret is configured.
      hooks: { streamWrite: (line) => scrub(line, secrets) },
    },
    destination ?? batchingDestination(1),
  );
}

/** The configured secrets as `scrub` wants them: long enough to be secrets, longest first (a secret that contains another is removed whole). */
export function scrubList(secrets: readonly string[]): string[] {
  return secrets.filter((s) => s.length >= 4).sort((a, b) => b.length - a.length);
}

const BEARER_TOKEN = /(Bearer\s+)[A-Za-z0-9._~+/=-]{8,}/g;
const SK_KEY = /\bsk-[A-Za-z0-9_-]{8,}/g;

/** Removes every configured secret, and any bearer token or `sk-` key, from a log line. */
export function scrub(line: string, secrets: readonly string[]): string {
  let out = line;
  for (const s of secrets) if (out.includes(s)) out = out.split(s).join(REDACTED);
  // A bearer token or sk- key inside a message is never logged either (the regexes only run when they can match).
  if (out.includes('Bearer')) out = out.replace(BEARER_TOKEN, `$1${REDACTED}`);
  if (out.includes('sk-')) out = out.replace(SK_KEY, `sk-${REDACTED}`);
  return out;
}

/** Nest's own log lines (boot, errors) go through the same pino logger. */
export class PinoNestLogger implements LoggerService {
  constructor(private readonly pino: Logger) {}
  log(message: unknown, context?: string) {
    this.pino.info({ context }, String(message));
  }
  error(message: unknown, trace?: string, context?: string) {
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
