import type { LoggerService } from '@nestjs/common';
import pino, { type DestinationStream, type Logger } from 'pino';

export const APP_LOGGER = Symbol('APP_LOGGER');

/** Header names that carry credentials: never logged. */
export const CREDENTIAL_HEADERS = ['authorization', 'api-key', 'x-litellm-api-key', 'x-api-key', 'cookie', 'proxy-authorization'];

const REDACTED = '[REDACTED]';

/**
 * JSON logs. Credential headers are removed by path, and every configured secret value is scrubbed from the
 * final line as a last line of defence (a secret that reached a log message by accident still never lands).
 */
export function createLogger(opts: { level: string; secrets: readonly string[] }, destination?: DestinationStream): Logger {
  // Longest first, so a secret that contains another is removed whole.
  const secrets = opts.secrets.filter((s) => s.length >= 4).sort((a, b) => b.length - a.length);
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
    destination ?? pino.destination({ dest: 1, sync: false }),
  );
}

function scrub(line: string, secrets: readonly string[]): string {
  let out = line;
  for (const s of secrets) if (out.includes(s)) out = out.split(s).join(REDACTED);
  // A bearer token or JWT-looking value inside a message is never logged either.
  return out.replace(/(Bearer\s+)[A-Za-z0-9._~+/=-]{8,}/g, `$1${REDACTED}`).replace(/\bsk-[A-Za-z0-9_-]{8,}/g, `sk-${REDACTED}`);
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
