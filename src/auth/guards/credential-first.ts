import type { FastifyInstance } from 'fastify';
import { Errors } from '../../common/errors/gateway-error';
import { extractCredential } from '../credentials/credential';
import { PUBLIC_ROUTE } from '../decorators/public.decorator';

export const NO_CREDENTIAL =
  'No credential: send "Authorization: Bearer <key or JWT>" (or an "api-key" / "x-litellm-api-key" header)';

/**
 * A request with no credential to a route that is not @Public() is refused (401) before its body is read: the
 * guard (auth.guard.ts), which verifies the credential, runs after the body has been parsed, so an anonymous caller
 * could make the gateway read and parse 10 MB bodies, and got 400/415 for a bad body instead of the 401 it is owed.
 * Unknown routes are left to the 404.
 */
export function useCredentialFirst(fastify: FastifyInstance): void {
  fastify.addHook('preParsing', (req, _reply, payload, done) => {
    const route = req.routeOptions;
    if (
      route.url !== undefined &&
      (route.config as unknown as Record<string, unknown> | undefined)?.[PUBLIC_ROUTE] !== true &&
      extractCredential(req.headers) === undefined
    ) {
      done(Errors.unauthorized(NO_CREDENTIAL, 'missing_api_key'));
      return;
    }
    done(null, payload);
  });
}
