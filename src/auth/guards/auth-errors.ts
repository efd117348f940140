import { Errors, GatewayError } from '../../common/errors/gateway-error';
import type { CredentialKind } from '../credentials/credential';
import { JwtRejection } from '../jwt/jwt-rejection';
import { StrategyFailure } from '../strategies/strategy-runner';

/**
 * Maps whatever a strategy refused with to the answer: GatewayErrors (403 no role, 401 blocked key, 503 key
 * store down) pass unchanged; JWT verification errors (jsonwebtoken, jose, ours) become 401 with the reason;
 * anything unexpected is still a 401, never a 500. Messages never contain the credential.
 */
export function toAuthError(kind: CredentialKind, err: unknown): GatewayError {
  if (err instanceof GatewayError) return err;
  const cause = err instanceof StrategyFailure ? err.challenge : err;
  if (kind !== 'jwt') return Errors.unauthorized('Invalid API key');
  return jwtError(cause);
}

function jwtError(cause: unknown): GatewayError {
  if (cause instanceof JwtRejection) return Errors.unauthorized(cause.message, cause.code);
  const e = (cause ?? {}) as { name?: string; code?: string; claim?: string; message?: string };
  if (e.name === 'TokenExpiredError' || e.code === 'ERR_JWT_EXPIRED')
    return Errors.unauthorized('JWT expired', 'jwt_expired');
  if (e.name === 'NotBeforeError' || (e.code === 'ERR_JWT_CLAIM_VALIDATION_FAILED' && e.claim === 'nbf')) {
    return Errors.unauthorized('JWT is not valid yet (nbf)', 'jwt_not_yet_valid');
  }
  if (e.code === 'ERR_JWS_SIGNATURE_VERIFICATION_FAILED')
    return Errors.unauthorized('Invalid JWT: invalid signature', 'invalid_jwt');
  // jsonwebtoken adds the accepted values ("jwt audience invalid. expected: ..."): not for an unauthenticated caller.
  const reason =
    typeof e.message === 'string' && e.message.length > 0 && e.message.length < 200
      ? e.message.replace(/\.? expected: .*$/s, '')
      : 'verification failed';
  return Errors.unauthorized(`Invalid JWT: ${reason}`, 'invalid_jwt');
}
