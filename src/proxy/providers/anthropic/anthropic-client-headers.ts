import type { IncomingHttpHeaders } from 'node:http';

const MAX_BETA_LENGTH = 1000;

/**
 * The headers of a `/v1/messages` call that go on to Anthropic: `anthropic-beta` (the beta features a client such as
 * Claude Code turns on), when present and of a sane size. Its credential and everything else stay here.
 */
export function anthropicClientHeaders(headers: IncomingHttpHeaders): Record<string, string> | undefined {
  const beta = headers['anthropic-beta'];
  const value = Array.isArray(beta) ? beta.join(',') : beta;
  if (value === undefined || value === '' || value.length > MAX_BETA_LENGTH) return undefined;
  return { 'anthropic-beta': value };
}
