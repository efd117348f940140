/** Why a JWT was not accepted. Always answered as 401; the message names the reason, never the token. */
export type JwtRejectionCode = 'invalid_jwt' | 'jwt_expired' | 'jwt_not_yet_valid' | 'jwks_unavailable';

export class JwtRejection extends Error {
  constructor(
    message: string,
    readonly code: JwtRejectionCode = 'invalid_jwt',
  ) {
    super(message);
    this.name = 'JwtRejection';
  }
}
