import type { FastifyRequest } from 'fastify';

/** Where the request keeps its matched route as declared, read once per request (pipeline.ts, onRequest). */
export const ROUTE_URL = Symbol('routeUrl');

declare module 'fastify' {
  interface FastifyRequest {
    [ROUTE_URL]: string | undefined;
  }
}

/**
 * The matched route as declared (`/v1/chat/completions`, `/openai/deployments/:model/chat/completions`), or
 * undefined when none matched. Fastify's `routeOptions` getter builds a twelve-field object on every read, and the
 * guard, the metrics and the access line each need the route: the onRequest hook reads it once and keeps it here.
 */
export function routeOf(req: FastifyRequest): string | undefined {
  const kept = req[ROUTE_URL];
  return kept !== undefined ? kept : req.routeOptions.url;
}

/** The path of a request URL, without its query string. */
export function pathOf(url: string): string {
  const q = url.indexOf('?');
  return q === -1 ? url : url.slice(0, q);
}
