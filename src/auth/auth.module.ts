import { Module } from '@nestjs/common';

/** Authentication (master key, virtual keys, JWTs via JWKS) and route authorization: filled by the auth issue. */
@Module({})
export class AuthModule {}
