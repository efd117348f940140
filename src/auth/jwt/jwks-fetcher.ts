/** Largest JWKS or discovery document accepted (a real one is a few KB). */
const MAX_DOCUMENT_BYTES = 1024 * 1024;

export interface JwksDocument {
  keys: unknown[];
  /** The provider's issuer, when `url` was its OpenID discovery document. */
  issuer?: string;
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
      const issuer = typeof first.issuer === 'string' && first.issuer !== '' ? first.issuer : undefined;
      if (Array.isArray(jwks.keys)) return { keys: jwks.keys, issuer };
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
 * The issuer of a plain JWKS URL, found as OpenID Discovery places it: the discovery document of each issuer base the
 * URL lies under (`https://idp/realms/x/protocol/openid-connect/certs` -> `https://idp/realms/x/protocol/openid-connect`,
 * ..., `https://idp`), nearest first; the first whose `jwks_uri` is this very URL and whose `issuer` is the base it
 * was fetched from names it. Undefined when none does.
 */
export async function discoverIssuer(
  jwksUrl: string,
  timeoutMs: number,
  cancel?: AbortSignal,
): Promise<string | undefined> {
  let url: URL;
  try {
    url = new URL(jwksUrl);
  } catch {
    return undefined;
  }
  const segments = url.pathname.split('/').filter(Boolean);
  for (let n = segments.length - 1; n >= 0 && n >= segments.length - MAX_ISSUER_PROBES; n--) {
    const base = `${url.origin}${segments
      .slice(0, n)
      .map((s) => `/${s}`)
      .join('')}`;
    const discovery = `${base}/.well-known/openid-configuration`;
    try {
      const doc = await withDeadline(discovery, timeoutMs, cancel, (signal) => fetchJson(discovery, signal));
      const issuer = typeof doc.issuer === 'string' ? doc.issuer : '';
      if (doc.jwks_uri === jwksUrl && issuer.replace(/\/$/, '') === base) return issuer;
    } catch {
      // not a discovery document here
    }
    if (cancel?.aborted) return undefined;
  }
  return undefined;
}

/** Issuer bases tried for one JWKS URL (its path's parents, nearest first). */
const MAX_ISSUER_PROBES = 4;

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
