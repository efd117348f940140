import type { SettingsSection } from './section';

/** The keys at the top of the file. */
export const TOP_LEVEL: SettingsSection = {
  path: '(top level)',
  strict: false,
  implemented: {
    model_list: 'the deployments',
    general_settings: 'proxy settings (auth, database, limits)',
    litellm_settings: 'see below',
    router_settings: 'see below',
    environment_variables: 'variables the file provides; the process environment wins',
    include: 'other YAML files merged in (lists appended, other keys replaced), relative to this one',
    credential_list:
      'credentials named by deployments (litellm_params.litellm_credential_name): their values fill the params a deployment does not set',
  },
  ignored: [
    'callback_settings',
    'guardrails',
    'mcp_servers',
    'mcp_tools',
    'search_tools',
    'vector_store_registry',
    'prompts',
    'files_settings',
    'finetune_settings',
    'assistant_settings',
    'worker_registry',
    'pass_through_endpoints',
    'agent_list',
  ],
};

/** `environment_variables`: values the file gives the process environment. */
export const ENVIRONMENT_VARIABLES: SettingsSection = {
  path: 'environment_variables',
  strict: false,
  // Any name is accepted here (it may serve an os.environ/ reference); these are the ones the gateway reads.
  implemented: {
    DATABASE_URL: 'PostgreSQL URL',
    LITELLM_MASTER_KEY: 'master key (general_settings.master_key wins)',
    REDIS_URL: 'shared state for several instances',
    REDIS_HOST: 'as router_settings.redis_host',
    REDIS_PORT: 'as router_settings.redis_port',
    REDIS_PASSWORD: 'as router_settings.redis_password',
    JWT_PUBLIC_KEY_URL: 'JWKS / OpenID discovery URL(s)',
    JWT_AUDIENCE: 'required audience',
    JWT_ISSUER: 'required issuer',
    CONFIG_FILE_PATH: 'the config file',
    PORT: 'listening port',
    HOST: 'listening address',
    LOG_LEVEL: 'log level',
    DATA_DIR: 'embedded database folder',
    REQUEST_HEADERS_TIMEOUT_SECONDS: 'time a client has to send its request headers',
    REQUEST_BODY_TIMEOUT_SECONDS: 'time a client has to send its whole request, body included',
    MAX_CONNECTIONS: 'open connections per instance',
    MAX_REQUEST_BODIES_IN_FLIGHT: 'request bodies read at once per instance',
  },
  ignored: [],
};
