import type { RoutingStrategy } from './config.schema';
import type { LogFormat, LogLevel } from './log-settings';
import type { TrustProxy } from './trust-proxy';
import type { UiOidcConfig } from './ui-oidc';

/** One `model_list` entry, resolved and typed. */
export interface DeploymentConfig {
  /** Stable id: `model_info.id` or `<model_name>#<index>`. Never contains a secret. */
  readonly id: string;
  /** The name clients send; may be a wildcard (`*`, `openai/*`): see `wildcard`. */
  readonly modelName: string;
  /** The `litellm_params.model` prefix (or `custom_llm_provider`); `openai` when there is none. */
  readonly provider: string;
  /** The part after `provider/`: the Azure deployment name or the upstream model id; `*` passes the requested name on. */
  readonly upstreamModel: string;
  /** `model_name` has a `*`: it serves every requested name it matches. */
  readonly wildcard?: boolean;
  /** Why this deployment is never called (provider or credential form not implemented); set at start with a warning. */
  readonly unavailable?: string;
  /** Remove a parameter the upstream refuses as unsupported and send again (`drop_params`). */
  readonly dropParams?: boolean;
  /** `model_info.base_model`: the model whose price applies. */
  readonly baseModel?: string;
  /** Where the prices come from: `model_info` (or litellm_params), the price library, or none (0). */
  readonly priceSource?: 'config' | 'library' | 'none';
  readonly apiBase?: string;
  readonly apiKey?: string;
  readonly apiVersion?: string;
  readonly organization?: string;
  readonly azureAdToken?: string;
  readonly tenantId?: string;
  readonly clientId?: string;
  readonly clientSecret?: string;
  readonly rpm?: number;
  readonly tpm?: number;
  readonly weight?: number;
  /** `litellm_params.tags`: the tags it serves when tag filtering is on. */
  readonly tags?: readonly string[];
  readonly timeoutSec?: number;
  readonly streamTimeoutSec?: number;
  readonly inputCostPerToken: number;
  readonly outputCostPerToken: number;
  /** `model_info.max_output_tokens`: the most output tokens a call reserves on it. */
  readonly maxOutputTokens?: number;
  /** `model_info.mode` (`chat`, `embedding`, ...), as configured; shown in `/model_group/info`. */
  readonly mode?: string;
}

export interface JwtIssuer {
  readonly issuer: string;
  readonly jwksUrl?: string;
  readonly audience?: readonly string[];
}

export interface JwtAuthConfig {
  readonly enabled: boolean;
  /** JWKS URLs or OpenID discovery document URLs. */
  readonly publicKeyUrls: readonly string[];
  /**
   * `litellm_jwtauth.issuers`: a token claiming `issuer` is verified only with the keys of `jwksUrl` (default: its
   * OpenID discovery document's), and must then hold one of `audience` when given.
   */
  readonly issuers: readonly JwtIssuer[];
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
  /** A claim holding a list of team ids (`team_ids_jwt_field`); header `x-litellm-team-id` picks one. */
  readonly teamIdsField?: string;
  readonly teamIdDefault?: string;
  /** Create a team seen in a JWT on first use (else 403 `team_not_found`). */
  readonly teamIdUpsert: boolean;
  /** What a team JWT may call (`team_allowed_routes`); undefined: `allowed_routes`, else openai + info routes. */
  readonly teamAllowedRoutes?: readonly string[];
  readonly userIdUpsert: boolean;
  readonly userEmailField?: string;
  readonly userAllowedEmailDomain?: string;
  readonly userRolesField?: string;
  readonly userAllowedRoles?: readonly string[];
  /** A claim holding IdP roles or groups, mapped to gateway roles by `roleMappings`. */
  readonly rolesField?: string;
  readonly roleMappings: readonly JwtRoleMapping[];
  readonly scopeMappings: readonly JwtScopeMapping[];
  readonly enforceScopeBasedAccess: boolean;
  readonly enforceTeamBasedModelAccess: boolean;
  readonly endUserIdField?: string;
}

/** The roles a JWT may be given through `role_mappings`. */
export type JwtRole = 'proxy_admin' | 'proxy_admin_viewer' | 'internal_user' | 'team';

export interface JwtRoleMapping {
  readonly role: string;
  readonly internalRole: JwtRole;
}

export interface JwtScopeMapping {
  readonly scope: string;
  readonly models: readonly string[];
  readonly routes: readonly string[];
}

export interface RouterConfig {
  readonly routingStrategy: RoutingStrategy;
  /** latency-based-routing: how long a latency sample counts, and the share within the fastest that is shuffled. */
  readonly latencyTtlMs: number;
  readonly latencyBuffer: number;
  readonly numRetries: number;
  readonly allowedFails: number;
  readonly cooldownTimeSec: number;
  readonly timeoutSec: number;
  /** Default for streaming calls (between chunks); `timeoutSec` when unset. */
  readonly streamTimeoutSec?: number;
  /** `litellm_settings.drop_params`, for every deployment. */
  readonly dropParams: boolean;
  /** `enable_tag_filtering`: a call's tags pick among a group's deployments; any of them, or all (`matchAny` false). */
  readonly tagFiltering: { readonly enabled: boolean; readonly matchAny: boolean };
  /** model group -> fallback groups (or deployment ids: that deployment alone), in order. */
  readonly fallbacks: Readonly<Record<string, readonly string[]>>;
  /** Fallback groups for every group that has none of its own. */
  readonly defaultFallbacks: readonly string[];
  /** Groups tried when an upstream says the prompt exceeds the context window / its content filter refuses. */
  readonly contextWindowFallbacks: Readonly<Record<string, readonly string[]>>;
  readonly contentPolicyFallbacks: Readonly<Record<string, readonly string[]>>;
  /** `model_group_alias`: a name clients may send -> the group it calls; hidden aliases are not listed. */
  readonly aliases: Readonly<Record<string, { readonly group: string; readonly hidden: boolean }>>;
}

export type DatabaseConfig =
  /** `source`: where the URL came from (`DATABASE_URL` or `general_settings.database_url`), for messages. */
  | {
      readonly kind: 'postgres';
      readonly url: string;
      readonly source: string;
      /** Most connections the pool opens (`general_settings.database_connection_pool_limit`). */
      readonly poolLimit: number;
      /** How long a query waits for a pool connection (`general_settings.database_connection_timeout`). */
      readonly poolWaitMs: number;
    }
  | { readonly kind: 'embedded'; readonly dataDir: string };

export interface ServerConfig {
  readonly host: string;
  readonly port: number;
  readonly bodyLimitBytes: number;
  readonly shutdownTimeoutMs: number;
  /** Time a client has to send its request line and headers (`REQUEST_HEADERS_TIMEOUT_SECONDS`). */
  readonly headersTimeoutMs: number;
  /** Time a client has to send its whole request, body included (`REQUEST_BODY_TIMEOUT_SECONDS`); not the answer. */
  readonly requestTimeoutMs: number;
  /** Open connections per instance (`MAX_CONNECTIONS`); more are closed as they arrive. */
  readonly maxConnections: number;
  /** Request bodies being read at once (`MAX_REQUEST_BODIES_IN_FLIGHT`); more are refused 503 before they are read. */
  readonly maxBodiesInFlight: number;
  readonly logLevel: LogLevel;
  /** Whose `X-Forwarded-For` names the client (`general_settings.trust_proxy`, Fastify's `trustProxy`). */
  readonly trustProxy: TrustProxy;
  /** `auto`: pretty on a terminal (see log-settings.ts). */
  readonly logFormat: LogFormat;
  /** `litellm_settings.json_logs`: JSON lines whatever the terminal. */
  readonly jsonLogs: boolean;
}

export interface SpendConfig {
  /** How often accumulated spend is written to the database (`general_settings.proxy_batch_write_at`). */
  readonly writeIntervalMs: number;
  /** A spend log row per model call (`general_settings.disable_spend_logs` false). */
  readonly logs: boolean;
  /** Rows older than this are deleted (`maximum_spend_logs_retention_period`); null: kept, or in months. */
  readonly retentionMs: number | null;
  /** Rows older than this many calendar months are deleted (a period in `mo`); retentionMs is then null. */
  readonly retentionMonths?: number;
  /** How often the deletion runs (`maximum_spend_logs_retention_interval`). */
  readonly retentionIntervalMs: number;
}

export interface MetricsConfig {
  /** `litellm_settings.require_auth_for_metrics_endpoint`: admin-only `/metrics`, with caller-naming labels. */
  readonly requireAuth: boolean;
}

export interface LimitsConfig {
  /** Calls reserve their worst case against budgets and tpm limits (`general_settings.disable_budget_reservation` false). */
  readonly budgetReservation: boolean;
  /** How long a call's shared slot and reservation outlive their last renewal (env `LIMIT_LEASE_SECONDS`). */
  readonly leaseMs: number;
}

export interface KeyCacheConfig {
  /** How often the change logs (keys; teams, users and end users) are read (`user_api_key_cache_ttl`). */
  readonly resyncIntervalMs: number;
  /** Most keys held in memory (`general_settings.key_cache_max_keys`). */
  readonly maxKeys: number;
  /** Most keys held parsed at once (`general_settings.key_cache_max_parsed_keys`). */
  readonly maxParsedKeys: number;
}

/** Everything the gateway is configured with, parsed and validated once at start, then frozen. */
export interface GatewayConfig {
  /** The config file used, or null when none. */
  readonly configFile: string | null;
  readonly server: ServerConfig;
  readonly database: DatabaseConfig;
  readonly redisUrl?: string;
  readonly masterKey?: string;
  /** Where the master key came from, for the start-up summary: `LITELLM_MASTER_KEY` (wins over the file) or `general_settings.master_key`. */
  readonly masterKeySource?: string;
  readonly jwt: JwtAuthConfig;
  /**
   * What a team JWT may call: `litellm_jwtauth.team_allowed_routes`, else `general_settings.allowed_routes`; undefined =
   * openai + info routes (route-groups.ts, `teamJwtRoutes`).
   */
  readonly allowedRoutes?: readonly string[];
  readonly models: readonly DeploymentConfig[];
  /** Microsoft Entra ID's authority host for client-credentials tokens (env `AZURE_AUTHORITY_HOST`). */
  readonly azureAuthorityHost: string;
  readonly router: RouterConfig;
  readonly spend: SpendConfig;
  readonly metrics: MetricsConfig;
  readonly keyCache: KeyCacheConfig;
  readonly limits: LimitsConfig;
  /** Failed credentials a client address may send per minute before it is refused (429) until the minute ends; 0: no limit. */
  readonly authFailuresPerMinute: number;
  /** The admin UI: `oidc` when `general_settings.ui_oidc` signs people in through the OpenID provider. */
  readonly ui: { readonly oidc?: UiOidcConfig };
  /** Every configured secret value (master key, upstream api keys, database password): redacted from logs. */
  readonly secrets: readonly string[];
  /** Warnings found while loading (ignored keys): logged once at start. */
  readonly warnings: readonly string[];
}

/** Nest injection token for the GatewayConfig object. */
export const GATEWAY_CONFIG = Symbol('GATEWAY_CONFIG');
