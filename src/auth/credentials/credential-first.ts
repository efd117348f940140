import type { preParsingHookHandler } from 'fastify';
import { Errors } from '../../common/errors/gateway-error';
import { PUBLIC_ROUTE } from '../decorators/public.decorator';
import { extractCredential } from './credential';

export const NO_CREDENTIAL =
  'No credential: send "Authorization: Bearer <key or JWT>" (or an "api-key" / "x-litellm-api-key" header)';

/**
 * preParsing hook (installed by common/http/pipeline.ts): a request with no credential to a route that is not
 * @Public() is refused (401) before its body is read. The guard, which verifies the credential, runs after the body
 * has been parsed, so an anonymous caller could otherwise make the gateway read and parse 10 MB bodies, and would
 * get 400/415 for a bad body instead of the 401 it is owed. Unknown routes are left to the 404.
 */
export const refuseMissingCredential: preParsingHookHandler = (req, _reply, payload, done) => {
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
};
