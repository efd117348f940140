import { ConfigError } from './config.error';
import type { Env } from './config.util';

export type LogLevel = 'trace' | 'debug' | 'info' | 'warn' | 'error' | 'fatal' | 'silent';
/** `auto`: pretty when stdout is a terminal, JSON otherwise (decided where stdout is known). */
export type LogFormat = 'pretty' | 'json' | 'auto';

/** The names operators use (Nest's, LiteLLM's, Python's), case-insensitive, to the logger's levels. */
const LEVELS: Readonly<Record<string, LogLevel>> = {
  trace: 'trace',
  verbose: 'debug',
  debug: 'debug',
  info: 'info',
  log: 'info',
  warn: 'warn',
  warning: 'warn',
  error: 'error',
  fatal: 'fatal',
  critical: 'fatal',
  silent: 'silent',
};

/**
 * The log level: `--detailed_debug` / `--debug`, else LOG_LEVEL, else LiteLLM's LITELLM_LOG, else `fallback`. An unknown
 * name stops the start with the list of known ones.
 */
export function logLevelOf(fromArgs: LogLevel | undefined, env: Env, fallback: LogLevel = 'info'): LogLevel {
  if (fromArgs) return fromArgs;
  for (const name of ['LOG_LEVEL', 'LITELLM_LOG'] as const) {
    const value = env[name]?.trim();
    if (!value) continue;
    const level = LEVELS[value.toLowerCase()];
    if (!level)
      throw new ConfigError(
        `env ${name}`,
        '',
        `"${value}" is not a log level (one of: trace, debug, verbose, info, warn, error)`,
      );
    return level;
  }
  return fallback;
}

/** LOG_FORMAT (pretty or json), else json with LiteLLM's JSON_LOGS=true or `litellm_settings.json_logs`, else auto. */
export function logFormatOf(env: Env, jsonLogs = false): LogFormat {
  const value = env.LOG_FORMAT?.trim().toLowerCase();
  if (value) {
    if (value === 'pretty' || value === 'json') return value;
    throw new ConfigError('env LOG_FORMAT', '', `"${env.LOG_FORMAT}" is not a log format (pretty or json)`);
  }
  return jsonLogs || /^(true|1)$/i.test(env.JSON_LOGS ?? '') ? 'json' : 'auto';
}
