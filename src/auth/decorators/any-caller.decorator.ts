import { RouteConfig } from '@nestjs/platform-fastify';
import type { FastifyRequest } from 'fastify';

/** The Fastify route config key an @AnyCaller() route carries. */
const ANY_CALLER_ROUTE = 'gatewayAnyCaller';

/**
 * Marks a route that only describes the caller to itself (who it is, what it may call): any authenticated caller
 * may call it, whatever its allowed routes. No credential or a bad one is still 401.
 */
export const AnyCaller = () => RouteConfig({ [ANY_CALLER_ROUTE]: true });

/** Whether the request's route is marked @AnyCaller() (Fastify builds routeOptions on each read: call it rarely). */
export function isAnyCallerRoute(req: FastifyRequest): boolean {
  return (req.routeOptions.config as unknown as Record<string, unknown> | undefined)?.[ANY_CALLER_ROUTE] === true;
}
