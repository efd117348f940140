import { applyDecorators, SetMetadata } from '@nestjs/common';
import { RouteConfig } from '@nestjs/platform-fastify';

export const IS_PUBLIC = 'gateway:isPublic';

/** The Fastify route config key a public route carries, read before the body is (auth/credentials/credential-first.ts). */
export const PUBLIC_ROUTE = 'gatewayPublic';

/** Marks a route as callable with no credential. Everything else is protected by the global guard. */
export const Public = () => applyDecorators(SetMetadata(IS_PUBLIC, true), RouteConfig({ [PUBLIC_ROUTE]: true }));
