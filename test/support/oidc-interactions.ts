import type { IncomingMessage, ServerResponse } from 'node:http';

/**
 * The test provider's login page for browser sign-in (instead of oidc-provider's development pages, which load
 * fonts from the web): a labelled login form, any password; consent is implied (the UI is a first-party client),
 * so the grant takes every scope and claim asked for. Mounted at /interaction/<uid>.
 */
export interface InteractionProvider {
  interactionDetails(
    req: IncomingMessage,
    res: ServerResponse,
  ): Promise<{
    prompt: { name: string; details: Record<string, unknown> };
    params: Record<string, unknown>;
    session?: { accountId?: string };
    grantId?: string;
  }>;
  interactionFinished(
    req: IncomingMessage,
    res: ServerResponse,
    result: object,
    opts: { mergeWithLastSubmission: boolean },
  ): Promise<void>;
  Grant: {
    new (init: { accountId?: string; clientId: unknown }): Grant;
    find(id: string): Promise<Grant | undefined>;
  };
}

interface Grant {
  addOIDCScope(scope: string): void;
  addOIDCClaims(claims: string[]): void;
  addResourceScope(indicator: string, scope: string): void;
  save(): Promise<string>;
}

const PAGE = `<!doctype html><html lang="en"><head><meta charset="utf-8"><title>Test provider: sign in</title>
<link rel="icon" href="data:,"></head><body><h1>Sign in to the test provider</h1>
<form method="post"><label for="login">Login</label> <input id="login" name="login" required autofocus>
<label for="password">Password</label> <input id="password" name="password" type="password" required>
<button type="submit">Sign in</button></form></body></html>`;

/** Serves GET/POST /interaction/<uid>; false when the request is not one. */
export function handleInteraction(provider: InteractionProvider, req: IncomingMessage, res: ServerResponse): boolean {
  if (!req.url?.startsWith('/interaction/')) return false;
  void (async () => {
    const details = await provider.interactionDetails(req, res);
    if (details.prompt.name === 'consent') {
      const { missingOIDCScope, missingOIDCClaims, missingResourceScopes } = details.prompt.details as {
        missingOIDCScope?: string[];
        missingOIDCClaims?: string[];
        missingResourceScopes?: Record<string, string[]>;
      };
      const grant = details.grantId
        ? (await provider.Grant.find(details.grantId))!
        : new provider.Grant({ accountId: details.session?.accountId, clientId: details.params.client_id });
      if (missingOIDCScope) grant.addOIDCScope(missingOIDCScope.join(' '));
      if (missingOIDCClaims) grant.addOIDCClaims(missingOIDCClaims);
      for (const [resource, scopes] of Object.entries(missingResourceScopes ?? {}))
        grant.addResourceScope(resource, scopes.join(' '));
      const result = { consent: { grantId: await grant.save() } };
      return provider.interactionFinished(req, res, result, { mergeWithLastSubmission: true });
    }
    if (req.method !== 'POST') {
      res.writeHead(200, { 'content-type': 'text/html; charset=utf-8', 'cache-control': 'no-store' }).end(PAGE);
      return;
    }
    let body = '';
    for await (const chunk of req) body += String(chunk);
    const login = new URLSearchParams(body).get('login') ?? '';
    await provider.interactionFinished(req, res, { login: { accountId: login } }, { mergeWithLastSubmission: false });
  })().catch((err: Error) => {
    if (!res.headersSent) res.writeHead(400, { 'content-type': 'text/plain' });
    res.end(`interaction failed: ${err.message}`);
  });
  return true;
}
