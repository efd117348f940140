import type { GatewayError } from '../../common/errors/gateway-error';

/** The parameter an upstream 400 calls unsupported (OpenAI's and Azure's wordings), if it names one. */
export function unsupportedParam(data: Buffer): string | undefined {
  const text = data.toString('utf8', 0, Math.min(data.length, 4096));
  const m =
    /Unrecognized request argument supplied: ([A-Za-z0-9_]+)/.exec(text) ??
    /Unsupported parameter: '([A-Za-z0-9_]+)'/.exec(text) ??
    /"param"\s*:\s*"([A-Za-z0-9_]+)"[^}]*"code"\s*:\s*"unsupported_parameter"/.exec(text) ??
    /"code"\s*:\s*"unsupported_parameter"[^}]*"param"\s*:\s*"([A-Za-z0-9_]+)"/.exec(text);
  return m?.[1];
}

/** An upstream 400 that has a fallback kind of its own: the prompt exceeds the context window, or a content filter refused. */
export function specialRefusal(err: GatewayError): 'context_window' | 'content_policy' | undefined {
  if (err.status !== 400) return undefined;
  const body = err.raw ? err.raw.body.toString() : err.message;
  if (/context_length_exceeded|maximum context length|context window/i.test(body)) return 'context_window';
  if (/content_filter|content_policy_violation|ResponsibleAIPolicyViolation|content management policy/i.test(body))
    return 'content_policy';
  return undefined;
}
