import { Controller, Get, Req, Res } from '@nestjs/common';
import type { INestApplication } from '@nestjs/common';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { Public } from '../auth/decorators/public.decorator';
import { Errors } from '../common/errors/gateway-error';
import { projectRoot } from '../common/project-root';

/** Swagger UI's own files served under /docs/, from the swagger-ui-dist package (no CDN). */
const ASSETS: Record<string, string> = {
  'swagger-ui.css': 'text/css; charset=utf-8',
  'swagger-ui-bundle.js': 'text/javascript; charset=utf-8',
  'favicon-32x32.png': 'image/png',
};

/** Started from a file, not inline: the page's policy allows scripts from the gateway's origin only. */
const INIT = `window.onload = () => { window.ui = SwaggerUIBundle({ url: '/openapi.json', dom_id: '#swagger-ui' }); };\n`;

const PAGE = `<!doctype html>
<html lang="en">
<head><meta charset="utf-8"><title>LLM gateway API</title>
<link rel="stylesheet" href="/docs/swagger-ui.css"><link rel="icon" href="/docs/favicon-32x32.png"></head>
<body><div id="swagger-ui"></div>
<script src="/docs/swagger-ui-bundle.js"></script><script src="/docs/init.js"></script></body>
</html>
`;

/** Swagger UI sets style attributes on its elements, so styles may be inline; scripts may not. */
const DOCS_POLICY =
  "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; " +
  "connect-src 'self'; frame-ancestors 'none'; base-uri 'none'; form-action 'self'";

/**
 * GET /openapi.json (the API described from the controllers, see openapi-document.ts), GET /docs (Swagger UI on
 * it) and GET / (to the admin UI). The document is built on the first request and kept: nothing at start-up.
 */
@Controller()
export class DocsController {
  private app: INestApplication | undefined;
  private json: string | undefined;
  private readonly assets = new Map<string, Buffer>();

  /** The app whose routes the document describes (set by createGateway once the app exists). */
  describe(app: INestApplication): void {
    this.app = app;
  }

  @Public()
  @Get('openapi.json')
  async openapi(@Res() reply: FastifyReply): Promise<void> {
    if (this.json === undefined) {
      if (!this.app) throw Errors.unavailable('The API document is not ready yet', 'not_ready');
      // Loaded here, not at start: @nestjs/swagger is only needed by whoever reads the document.
      const { buildOpenApiDocument } = await import('./openapi-document');
      this.json = JSON.stringify(buildOpenApiDocument(this.app, projectRoot().version));
    }
    void reply.type('application/json; charset=utf-8').send(this.json);
  }

  @Public()
  @Get('docs')
  page(@Res() reply: FastifyReply): void {
    void reply.type('text/html; charset=utf-8').header('content-security-policy', DOCS_POLICY).send(PAGE);
  }

  /** Each file its own route (no wildcard): the route table and the public route group list them all. */
  @Public()
  @Get(['docs/init.js', ...Object.keys(ASSETS).map((f) => `docs/${f}`)])
  asset(@Req() req: FastifyRequest, @Res() reply: FastifyReply): void {
    const file = (req.routeOptions.url ?? '').slice('/docs/'.length);
    if (file === 'init.js') {
      void reply.type('text/javascript; charset=utf-8').send(INIT);
      return;
    }
    const type = ASSETS[file];
    let body = this.assets.get(file);
    if (body === undefined) {
      body = readFileSync(join(dirname(require.resolve('swagger-ui-dist/package.json')), file));
      this.assets.set(file, body);
    }
    void reply.type(type).header('cache-control', 'public, max-age=3600').send(body);
  }

  @Public()
  @Get()
  root(@Res() reply: FastifyReply): void {
    void reply.redirect('/ui/', 302);
  }
}
