import { Controller, Get, Req, Res } from '@nestjs/common';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Public } from '../auth/decorators/public.decorator';
import { Errors } from '../common/errors/gateway-error';
import { projectRoot } from '../common/project-root';
import { UiOidcService } from './ui-oidc.service';

/** The build's files (scripts/build-ui.js writes them to dist/ui), by route. */
const FILES: Record<string, { file: string; type: string }> = {
  '/ui': { file: 'index.html', type: 'text/html; charset=utf-8' },
  '/ui/app.js': { file: 'app.js', type: 'text/javascript; charset=utf-8' },
  '/ui/app.css': { file: 'app.css', type: 'text/css; charset=utf-8' },
};

/**
 * Scripts and styles from the gateway only, no inline script, no other origin to talk to: the page holds an admin
 * credential, so nothing else may run beside it or receive it. With `ui_oidc`, the page may also POST to the
 * provider's token endpoint (that one URL), where it exchanges the sign-in code for the token.
 */
export function uiPolicy(tokenEndpoint?: string): string {
  const connect = tokenEndpoint ? `'self' ${tokenEndpoint}` : "'self'";
  return (
    `default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src ${connect}; ` +
    "frame-ancestors 'none'; base-uri 'none'; form-action 'self'; object-src 'none'"
  );
}
const UI_POLICY = uiPolicy();

/**
 * The admin UI at /ui: a single page that signs in and then calls the gateway's own API with that credential, so
 * it can do exactly what the API lets the signed-in caller do. The page needs no credential to load.
 */
@Controller()
export class UiController {
  private readonly cache = new Map<string, Buffer>();

  constructor(private readonly oidc: UiOidcService) {}

  @Public()
  @Get(Object.keys(FILES).map((p) => p.slice(1)))
  async serve(@Req() req: FastifyRequest, @Res() reply: FastifyReply): Promise<void> {
    const { file, type } = FILES[req.routeOptions.url ?? ''] ?? FILES['/ui'];
    // The page's policy names the token endpoint; while the provider is unknown, the page offers the master key only.
    const policy =
      file === 'index.html' ? uiPolicy((await this.oidc.current().catch(() => null))?.token_endpoint) : UI_POLICY;
    let body = this.cache.get(file);
    if (body === undefined) {
      try {
        body = readFileSync(join(projectRoot().dir, 'dist', 'ui', file));
      } catch {
        throw Errors.unavailable('The admin UI is not built: run npm run build', 'ui_not_built');
      }
      this.cache.set(file, body);
    }
    void reply
      .type(type)
      .header('content-security-policy', policy)
      .header('x-content-type-options', 'nosniff')
      .header('referrer-policy', 'no-referrer')
      .header('cache-control', 'no-cache')
      .send(body);
  }
}
