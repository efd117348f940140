import { Inject, Module, type OnModuleInit } from '@nestjs/common';
import { APP_GUARD } from '@nestjs/core';
import type { Logger } from 'pino';
import { GATEWAY_CONFIG, type GatewayConfig } from '../config/gateway-config';
import { APP_LOGGER } from '../logging/logger';
import { AuthGuard } from './guards/auth.guard';
import { JwksKeyStore } from './jwt/jwks-key-store';
import { VerifiedTokenCache } from './jwt/verified-token-cache';
import { RoutePolicies } from './routes/route-policies';
import { JwtStrategy } from './strategies/jwt.strategy';
import { MasterKeyStrategy } from './strategies/master-key.strategy';
import { VirtualKeyStrategy } from './strategies/virtual-key.strategy';

/**
 * Authentication (master key, virtual keys, JWTs verified against the provider's JWKS) and route authorization,
 * enforced by one global guard: every route is protected unless marked @Public().
 */
@Module({
  providers: [
    RoutePolicies,
    JwksKeyStore,
    VerifiedTokenCache,
    MasterKeyStrategy,
    VirtualKeyStrategy,
    JwtStrategy,
    AuthGuard,
    // The one app-wide guard; the same instance guards the direct routes (common/http/pipeline.ts).
    { provide: APP_GUARD, useExisting: AuthGuard },
  ],
  exports: [RoutePolicies, AuthGuard],
})
export class AuthModule implements OnModuleInit {
  constructor(
    @Inject(GATEWAY_CONFIG) private readonly config: GatewayConfig,
    @Inject(APP_LOGGER) private readonly log: Logger,
  ) {}

  onModuleInit(): void {
    const { jwt, masterKey } = this.config;
    if (jwt.enabled && jwt.publicKeyUrls.length === 0) {
      this.log.warn(
        'general_settings.enable_jwt_auth is true but JWT_PUBLIC_KEY_URL is not set: every JWT will be refused',
      );
    }
    if (!jwt.enabled && jwt.publicKeyUrls.length > 0) {
      this.log.warn('JWT_PUBLIC_KEY_URL is set but general_settings.enable_jwt_auth is false: JWTs are refused');
    }
    if (!masterKey)
      this.log.warn(
        'no master key (general_settings.master_key / LITELLM_MASTER_KEY): only JWTs and virtual keys can call',
      );
  }
}
