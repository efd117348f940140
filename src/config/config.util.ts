import { ConfigError } from './config.error';

export function deepFreeze<T>(value: T): T {
  if (value && typeof value === 'object' && !Object.isFrozen(value)) {
    Object.freeze(value);
    for (const v of Object.values(value)) deepFreeze(v);
  }
  return value;
}

export function splitList(value: string | undefined): string[] {
  return (value ?? '')
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean);
}

/** Parses a whole non-negative number from the environment or the command line; undefined when unset. */
export function parseEnvNumber(value: string | undefined, source: string, what: 'port' | 'number'): number | undefined {
  if (value === undefined || value === '') return undefined;
  const n = Number(value);
  const ok = /^\d+$/.test(value.trim()) && (what !== 'port' || (n >= 0 && n <= 65535));
  if (!ok) throw new ConfigError(source, '', `"${value}" is not a valid ${what}${what === 'port' ? ' (0-65535)' : ''}`);
  return n;
}
