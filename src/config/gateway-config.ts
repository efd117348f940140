import type { ProviderName } from './config.schema';

/** One `model_list` entry, resolved and typed. */
export interface DeploymentConfig {
  /** Stable id: `model_info.id` or `<model_name>#<index>`. Never contains a secret. */
  readonly id: string;
  readonly modelName: string;
  readonly provider: ProviderName;
  /** The part after `provider/`: the Azure deployment name or the upstream model id. */
  readonly upstreamModel: string;
  readonly apiBase?: string;
  readonly apiKey?: string;
  readonly apiVersion?: string;
  readonly organization?: string;
  readonly rpm?: number;
  readonly tpm?: number;
  readonly weight?: number;
  readonly timeoutSec?: number;
  readonly streamTimeoutSec?: number;
  readonly inputCostPerToken: number;
  readonly outputCostPerToken: number;
}

export interface JwtAuthConfig {
  readonly enabled: boolean;
  /** JWKS URLs or OpenID discovery document URLs. */
  readonly publicKeyUrls: readonly string[];
  readonly audience?: readonly string[];
  readonly issuer?: readonly string[];
  readonly adminScope: string;
  readonly teamIdField: string;
  readonly userIdField: string;
  readonly adminAllowedRoutes: readonly string[];
  readonly publicKeyTtlSec: number;
  /** While the provider cannot be reached, keys fetched earlier keep verifying this long past the TTL (stale-if-error). */
  readonly publicKeyStaleTtlSec: number;
  readonly leewaySec: number;
}

export interface RouterConfig {
  readonly routingStrategy: 'simple-shuffle';
  readonly numRetries: number;
  readonly allowedFails: number;
  readonly cooldownTimeSec: number;
  readonly timeoutSec: number;
  /** model group -> fallback groups, in order. */
  readonly fallbacks: Readonly<Record<string, readonly string[]>>;
}

export type DatabaseConfig =
  { readonly kind: 'postgres'; readonly url: string } | { readonly kind: 'embedded'; readonly dataDir: string };

export interface ServerConfig {
  readonly host: string;
  readonly port: number;
  readonly bodyLimitBytes: number;
  readonly shutdownTimeoutMs: number;
  readonly logLevel: string;
}

export interface SpendConfig {
  /** How often accumulated spend is written to the database (`general_settings.proxy_batch_write_at`). */
  readonly writeIntervalMs: number;
}

export interface KeyCacheConfig {
  /** How often every cached virtual key is read again from the database (`general_settings.user_api_key_cache_ttl`). */
  readonly resyncIntervalMs: number;
}

/** Everything the gateway is configured with, parsed and validated once at start, then frozen. */
export interface GatewayConfig {
  /** The config file used, or null when none. */
  readonly configFile: string | null;
  readonly server: ServerConfig;
  readonly database: DatabaseConfig;
  readonly redisUrl?: string;
  readonly masterKey?: string;
  readonly jwt: JwtAuthConfig;
  /** `general_settings.allowed_routes`: what a team JWT may call; undefined = openai + info routes. */
  readonly allowedRoutes?: readonly string[];
  readonly models: readonly DeploymentConfig[];
  readonly router: RouterConfig;
  readonly spend: SpendConfig;
  readonly keyCache: KeyCacheConfig;
  /** Every configured secret value (master key, upstream api keys, database password): redacted from logs. */
  readonly secrets: readonly string[];
  /** Warnings found while loading (ignored keys): logged once at start. */
  readonly warnings: readonly string[];
}

/** Nest injection token for the GatewayConfig object. */
export const GATEWAY_CONFIG = Symbol('GATEWAY_CONFIG');
