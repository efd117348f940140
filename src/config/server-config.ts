import type { CommandLine } from './command-line';
import { ConfigError } from './config.error';
import type { FileConfig } from './config.schema';
import { parseEnvNumber, type Env } from './config.util';
import type { ServerConfig } from './gateway-config';
import { logFormatOf, logLevelOf } from './log-settings';
import { trustProxyOf } from './trust-proxy';

const DEFAULT_BODY_LIMIT_MB = 10;

/** The listening port: --port, else env PORT, else LiteLLM's 4000. */
export function portOf(args: CommandLine, env: Env): number {
  return (
    (args.port !== undefined
      ? parseEnvNumber(args.port, '--port', 'port')
      : parseEnvNumber(env.PORT, 'env PORT', 'port')) ?? 4000
  );
}

/** The HTTP server: where it listens, what it accepts from clients, how it logs. */
export function toServerConfig(file: FileConfig, args: CommandLine, env: Env, port: number): ServerConfig {
  const ls = file.litellm_settings;
  const bodyLimitMb = file.general_settings.max_request_size_mb ?? DEFAULT_BODY_LIMIT_MB;
  return {
    host: args.host || env.HOST || '0.0.0.0',
    port,
    bodyLimitBytes: Math.floor(bodyLimitMb * 1024 * 1024),
    shutdownTimeoutMs:
      (parseEnvNumber(env.SHUTDOWN_TIMEOUT_SECONDS, 'env SHUTDOWN_TIMEOUT_SECONDS', 'number') ?? 10) * 1000,
    ...clientLimits(env),
    trustProxy: trustProxyOf(file.general_settings.trust_proxy),
    // set_verbose is LiteLLM's debug switch; --debug, LOG_LEVEL and LITELLM_LOG say more and win.
    logLevel: logLevelOf(args.logLevel, env, ls.set_verbose ? 'debug' : 'info'),
    logFormat: logFormatOf(env, ls.json_logs),
    jsonLogs: ls.json_logs,
  };
}

/** Bounds on what slow or numerous clients may hold: each a whole positive number from the environment. */
function clientLimits(env: Env) {
  const positive = (name: string, def: number) => {
    const n = parseEnvNumber(env[name], `env ${name}`, 'number') ?? def;
    if (n < 1) throw new ConfigError(`env ${name}`, '', 'must be at least 1');
    return n;
  };
  return {
    headersTimeoutMs: positive('REQUEST_HEADERS_TIMEOUT_SECONDS', 10) * 1000,
    requestTimeoutMs: positive('REQUEST_BODY_TIMEOUT_SECONDS', 60) * 1000,
    maxConnections: positive('MAX_CONNECTIONS', 10_000),
    maxBodiesInFlight: positive('MAX_REQUEST_BODIES_IN_FLIGHT', 1_000),
  };
}
