import { request as httpRequest } from 'node:http';
import { request as httpsRequest } from 'node:https';
import { redactSecrets } from '../../../common/redact';
import type { AttemptFailure } from '../../upstream/upstream-failure';

/** The scope of Azure OpenAI (Cognitive Services) for a client-credentials token. */
export const AZURE_COGNITIVE_SCOPE = 'https://cognitiveservices.azure.com/.default';
/** A token is renewed this long before it expires (or at half its life, when that is sooner). */
const RENEW_BEFORE_MS = 5 * 60_000;
/** After a failed renewal while the old token still works, the next try waits this long. */
const RETRY_AFTER_FAILURE_MS = 5_000;
const FETCH_TIMEOUT_MS = 10_000;
const MAX_ANSWER_BYTES = 64 * 1024;

export interface EntraRegistration {
  readonly authorityHost: string;
  readonly tenantId: string;
  readonly clientId: string;
  readonly clientSecret: string;
}

export interface AccessToken {
  readonly token: string;
  /** Epoch milliseconds. */
  readonly expiresAt: number;
}

/** A token could not be had: the attempt fails with this (never holding the secret). */
export class EntraTokenError extends Error {
  readonly failure: AttemptFailure;
  constructor(reason: string) {
    super(`Microsoft Entra ID token request failed: ${reason}`);
    this.failure = { kind: 'status', status: 401, reason: this.message };
  }
}

/**
 * A client-credentials token for one app registration, cached until shortly before it expires and renewed while the
 * old one still works; one fetch at a time, however many calls are waiting. The secret and the token never leave
 * the requests they are meant for (no log line or error names them).
 */
export class EntraTokenSource {
  private current: AccessToken | null = null;
  private inflight: Promise<AccessToken> | null = null;
  private renewFrom = 0;
  private retryFrom = 0;

  constructor(
    private readonly fetchToken: () => Promise<AccessToken>,
    private readonly now: () => number = Date.now,
  ) {}

  /** The token when it is good to use without waiting (renewal started in the background when due), else null. */
  peek(): string | null {
    const t = this.current;
    if (t === null) return null;
    const now = this.now();
    if (now >= t.expiresAt) return null;
    if (now >= this.renewFrom && now >= this.retryFrom && this.inflight === null) {
      this.refresh().catch(() => {
        this.retryFrom = this.now() + RETRY_AFTER_FAILURE_MS;
      });
    }
    return t.token;
  }

  /** A good token, fetching one (or joining the fetch under way) when there is none. Throws EntraTokenError. */
  async get(): Promise<string> {
    return this.peek() ?? (await this.refresh()).token;
  }

  private refresh(): Promise<AccessToken> {
    this.inflight ??= this.fetchToken()
      .then((t) => {
        const life = t.expiresAt - this.now();
        this.current = t;
        this.renewFrom = t.expiresAt - Math.min(RENEW_BEFORE_MS, life / 2);
        return t;
      })
      .finally(() => {
        this.inflight = null;
      });
    return this.inflight;
  }
}

/** Fetches a token from `{authorityHost}/{tenant}/oauth2/v2.0/token` (OAuth 2.0 client credentials). */
export function clientCredentialsFetcher(
  c: EntraRegistration,
  now: () => number = Date.now,
): () => Promise<AccessToken> {
  const url = new URL(`${c.authorityHost.replace(/\/+$/, '')}/${encodeURIComponent(c.tenantId)}/oauth2/v2.0/token`);
  const form = new URLSearchParams({
    grant_type: 'client_credentials',
    client_id: c.clientId,
    client_secret: c.clientSecret,
    scope: AZURE_COGNITIVE_SCOPE,
  }).toString();
  return async () => {
    const { status, body } = await post(url, form);
    let answer: { access_token?: unknown; expires_in?: unknown; error?: unknown; error_description?: unknown };
    try {
      answer = JSON.parse(body) as typeof answer;
    } catch {
      throw new EntraTokenError(`HTTP ${status} from the token endpoint, not JSON`);
    }
    if (status !== 200 || typeof answer.access_token !== 'string' || !answer.access_token) {
      const code = typeof answer.error === 'string' ? ` ${answer.error}` : '';
      const said = typeof answer.error_description === 'string' ? `: ${firstLine(answer.error_description)}` : '';
      throw new EntraTokenError(redactSecrets(`HTTP ${status}${code}${said}`, [c.clientSecret]));
    }
    const seconds = Number(answer.expires_in);
    const life = Number.isFinite(seconds) && seconds > 0 ? seconds * 1000 : 3600_000;
    return { token: answer.access_token, expiresAt: now() + life };
  };
}

function post(url: URL, form: string): Promise<{ status: number; body: string }> {
  const send = url.protocol === 'https:' ? httpsRequest : httpRequest;
  return new Promise((resolve, reject) => {
    const req = send(
      url,
      {
        method: 'POST',
        headers: { 'content-type': 'application/x-www-form-urlencoded', 'content-length': Buffer.byteLength(form) },
        timeout: FETCH_TIMEOUT_MS,
      },
      (res) => {
        const parts: Buffer[] = [];
        let size = 0;
        res.on('data', (c: Buffer) => {
          size += c.length;
          if (size > MAX_ANSWER_BYTES) req.destroy(new EntraTokenError('the token endpoint answer is too large'));
          else parts.push(c);
        });
        res.on('end', () => resolve({ status: res.statusCode ?? 0, body: Buffer.concat(parts).toString('utf8') }));
        res.on('error', (err) => reject(asTokenError(err)));
      },
    );
    req.on('timeout', () => req.destroy(new EntraTokenError('the token endpoint did not answer in time')));
    req.on('error', (err) => reject(asTokenError(err)));
    req.end(form);
  });
}

function asTokenError(err: Error): EntraTokenError {
  if (err instanceof EntraTokenError) return err;
  const code = (err as { code?: string }).code;
  return new EntraTokenError(`the token endpoint could not be reached${code ? ` (${code})` : ''}`);
}

function firstLine(text: string): string {
  return text.split(/\r?\n/)[0].slice(0, 300);
}
