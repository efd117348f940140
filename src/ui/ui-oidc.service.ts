import { Inject, Injectable, type OnApplicationBootstrap, type OnApplicationShutdown } from '@nestjs/common';
import type { Logger } from 'pino';
import { fetchJsonDocument } from '../auth/jwt/jwks-fetcher';
import { JWKS_FETCH_TIMEOUT_MS, JWKS_RETRY_INTERVAL_MS } from '../auth/jwt/jwks-source';
import { Errors, type GatewayError } from '../common/errors/gateway-error';
import { GATEWAY_CONFIG, type GatewayConfig } from '../config/gateway-config';
import type { UiOidcConfig } from '../config/ui-oidc';
import { APP_LOGGER } from '../logging/logger';

/** What the page needs to sign someone in: public facts about the provider and the UI's client, no secret. */
export interface UiOidcView {
  readonly client_id: string;
  readonly issuer: string;
  readonly authorization_endpoint: string;
  readonly token_endpoint: string;
  readonly end_session_endpoint?: string;
  readonly scopes: readonly string[];
}

/**
 * The OpenID provider's endpoints for the UI's sign-in, read from its discovery document: fetched at start (not
 * awaited: a provider that is down does not stop the gateway), kept for `public_key_ttl`, and kept past it while
 * the provider cannot be reached. The token endpoint is the one other origin the page may talk to (its CSP).
 */
@Injectable()
export class UiOidcService implements OnApplicationBootstrap, OnApplicationShutdown {
  private readonly oidc?: UiOidcConfig;
  private readonly ttlMs: number;
  private view: UiOidcView | null = null;
  private fetchedAt = -Infinity;
  private attemptAt = -Infinity;
  private failure: GatewayError | null = null;
  private inflight: Promise<void> | null = null;
  private readonly closing = new AbortController();

  constructor(
    @Inject(GATEWAY_CONFIG) config: GatewayConfig,
    @Inject(APP_LOGGER) private readonly log: Logger,
  ) {
    this.oidc = config.ui.oidc;
    this.ttlMs = config.jwt.publicKeyTtlSec * 1000;
  }

  onApplicationBootstrap(): void {
    if (this.oidc) void this.refresh();
  }

  onApplicationShutdown(): void {
    this.closing.abort();
  }

  /** The sign-in facts, null when `ui_oidc` is not configured; a 503 naming why when the provider is unknown yet. */
  async current(): Promise<UiOidcView | null> {
    if (!this.oidc) return null;
    const now = performance.now();
    if (now - this.fetchedAt > this.ttlMs && now - this.attemptAt >= JWKS_RETRY_INTERVAL_MS) {
      const fetching = this.refresh();
      if (this.view === null) await fetching;
    } else if (this.view === null && this.inflight) await this.inflight;
    if (this.view) return this.view;
    throw this.failure ?? Errors.unavailable('The OpenID provider has not been reached yet', 'oidc_unavailable');
  }

  private refresh(): Promise<void> {
    if (this.inflight) return this.inflight;
    const oidc = this.oidc!;
    this.attemptAt = performance.now();
    this.inflight = fetchJsonDocument(oidc.discoveryUrl, JWKS_FETCH_TIMEOUT_MS, this.closing.signal)
      .then((doc) => {
        this.view = toView(doc, oidc);
        this.fetchedAt = performance.now();
        this.failure = null;
      })
      .catch((err: Error) => {
        if (this.closing.signal.aborted) return;
        this.failure = Errors.unavailable(`OpenID sign-in is unavailable: ${err.message}`, 'oidc_unavailable');
        this.log.warn({ url: oidc.discoveryUrl, reason: err.message }, 'UI sign-in: discovery document not read');
      })
      .finally(() => {
        this.inflight = null;
      });
    return this.inflight;
  }
}

/** The endpoints the page uses, checked: http(s) URLs that fit in a CSP source list, a provider that does S256. */
function toView(doc: Record<string, unknown>, oidc: UiOidcConfig): UiOidcView {
  const url = (name: string, required: boolean): string | undefined => {
    const value = doc[name];
    if (value === undefined && !required) return undefined;
    const parsed = typeof value === 'string' && URL.canParse(value) ? new URL(value) : null;
    if (!parsed || !/^https?:$/.test(parsed.protocol) || /[\s;,']/.test(parsed.href))
      throw new Error(`${oidc.discoveryUrl} has no usable ${name}`);
    return parsed.href;
  };
  const methods = doc.code_challenge_methods_supported;
  if (Array.isArray(methods) && !methods.includes('S256'))
    throw new Error(`${oidc.discoveryUrl}: the provider does not support PKCE with S256`);
  return Object.freeze({
    client_id: oidc.clientId,
    issuer: typeof doc.issuer === 'string' ? doc.issuer : '',
    authorization_endpoint: url('authorization_endpoint', true)!,
    token_endpoint: url('token_endpoint', true)!,
    end_session_endpoint: url('end_session_endpoint', false),
    scopes: oidc.scopes,
  });
}
