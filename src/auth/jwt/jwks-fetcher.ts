/** Largest JWKS or discovery document accepted (a real one is a few KB). */
const MAX_DOCUMENT_BYTES = 1024 * 1024;

export interface JwksDocument {
  keys: unknown[];
}

/**
 * Fetches a JWKS for jwks-rsa (its `fetcher`): `url` is a JWKS, or an OpenID discovery document whose
 * `jwks_uri` is followed. The whole fetch (both hops) is bounded by `timeoutMs`, so the gateway never hangs on
 * a slow provider. Errors name the URL and the problem, never a token.
 */
export async function fetchJwksDocument(url: string, timeoutMs: number, cancel?: AbortSignal): Promise<JwksDocument> {
  return withDeadline(url, timeoutMs, cancel, async (signal) => {
    const first = await fetchJson(url, signal);
    if (Array.isArray(first.keys)) return { keys: first.keys };
    if (typeof first.jwks_uri === 'string') {
      const jwksUri = first.jwks_uri;
      if (!/^https?:\/\//i.test(jwksUri)) throw new Error(`discovery document at ${url} has an invalid jwks_uri`);
      const jwks = await fetchJson(jwksUri, signal);
      if (Array.isArray(jwks.keys)) return { keys: jwks.keys };
      throw new Error(`${jwksUri} (jwks_uri of ${url}) is not a JWKS: no "keys" array`);
    }
    throw new Error(`${url} is neither a JWKS ("keys") nor an OpenID discovery document ("jwks_uri")`);
  });
}

/** One JSON document (an OpenID discovery document), bounded like a JWKS fetch. */
export function fetchJsonDocument(
  url: string,
  timeoutMs: number,
  cancel?: AbortSignal,
): Promise<Record<string, unknown>> {
  return withDeadline(url, timeoutMs, cancel, (signal) => fetchJson(url, signal));
}

/**
 * Runs `work` (fetches starting at `url`) with a signal that aborts after `timeoutMs` (or when `cancel` aborts),
 * and settles by then whatever `work` does. Not `AbortSignal.any([AbortSignal.timeout(ms), cancel])`: on Node 20
 * the timeout signal inside `any()` is only weakly held, so a garbage collection while the fetch waits loses it and
 * a hung provider hangs the fetch (and every request waiting on it) for undici's 300 s header timeout. Here the
 * timer holds the controller strongly, and the race settles the promise even if an abort never reaches the fetch.
 */
async function withDeadline<T>(
  url: string,
  timeoutMs: number,
  cancel: AbortSignal | undefined,
  work: (signal: AbortSignal) => Promise<T>,
): Promise<T> {
  const controller = new AbortController();
  let timer: NodeJS.Timeout | undefined;
  const deadline = new Promise<never>((_, reject) => {
    const stop = (reason: Error) => {
      controller.abort(reason);
      reject(reason);
    };
    timer = setTimeout(() => stop(new DOMException('timed out', 'TimeoutError')), timeoutMs);
    if (cancel?.aborted) stop(new DOMException('cancelled', 'AbortError'));
    cancel?.addEventListener('abort', () => stop(new DOMException('cancelled', 'AbortError')), {
      once: true,
      signal: controller.signal,
    });
  });
  try {
    return await Promise.race([
      work(controller.signal),
      deadline.catch((err: Error) => Promise.reject(new Error(`GET ${url} failed: ${describeAbort(err)}`))),
    ]);
  } finally {
    clearTimeout(timer);
    controller.abort(); // ends a fetch still reading, and removes the cancel listener
  }
}

const describeAbort = (err: Error) => (err.name === 'TimeoutError' ? 'timed out' : 'cancelled');

async function fetchJson(url: string, signal: AbortSignal): Promise<Record<string, unknown>> {
  let res: Response;
  try {
    res = await fetch(url, { signal, headers: { accept: 'application/json' }, redirect: 'follow' });
  } catch (err) {
    const e = err as Error & { cause?: { code?: string } };
    const why =
      e.name === 'TimeoutError' || e.name === 'AbortError'
        ? describeAbort(signal.reason as Error)
        : (e.cause?.code ?? e.message);
    throw new Error(`GET ${url} failed: ${why}`);
  }
  if (!res.ok) {
    await res.body?.cancel().catch(() => undefined);
    throw new Error(`GET ${url} answered HTTP ${res.status}`);
  }
  const length = Number(res.headers.get('content-length') ?? 0);
  if (length > MAX_DOCUMENT_BYTES) {
    await res.body?.cancel().catch(() => undefined);
    throw new Error(`GET ${url}: document too large`);
  }
  let text: string;
  try {
    text = await res.text();
  } catch (err) {
    throw new Error(
      `GET ${url} failed while reading: ${(err as Error).name === 'TimeoutError' ? 'timed out' : (err as Error).message}`,
    );
  }
  if (text.length > MAX_DOCUMENT_BYTES) throw new Error(`GET ${url}: document too large`);
  let doc: unknown;
  try {
    doc = JSON.parse(text);
  } catch {
    throw new Error(`GET ${url}: not JSON`);
  }
  if (doc === null || typeof doc !== 'object' || Array.isArray(doc)) throw new Error(`GET ${url}: not a JSON object`);
  return doc as Record<string, unknown>;
}
