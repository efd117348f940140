/**
 * Credential forms a deployment may name in `litellm_params`. A provider lists those it can use; a deployment
 * that names credentials none of which its provider can use is refused at start (never called without them).
 */
export const CREDENTIAL_PARAMS = [
  'api_key',
  'azure_ad_token',
  'azure_ad_token_provider',
  'tenant_id',
  'client_id',
  'client_secret',
  'azure_username',
  'azure_password',
  'azure_scope',
  'vertex_credentials',
  'aws_access_key_id',
  'aws_secret_access_key',
  'aws_session_token',
  'aws_role_name',
  'aws_profile_name',
  'aws_web_identity_token',
  'litellm_credential_name',
] as const;

/** The credential forms some implemented provider uses (see each provider's `credentials`). */
export const IMPLEMENTED_CREDENTIALS: ReadonlySet<string> = new Set([
  'api_key',
  'azure_ad_token',
  'tenant_id',
  'client_id',
  'client_secret',
]);
