import { createSecretKey } from 'node:crypto';
import { Module } from '@nestjs/common';
import { JwtModule } from '@nestjs/jwt';
import { AppConfig, jwtSecretOf } from '../config/app-config.js';
import { CoreModule } from '../core.module.js';
import { GATEWAY_CONFIG } from '../gateway/gateway-config.js';
import type { ResolvedGatewayConfig } from '../gateway/gateway-config.js';
import { AuthService } from './auth.service.js';
import { SessionCache } from './session-cache.js';
import { UsersRepository } from './users.repository.js';
import { ZwddLoginGateway } from './zwdd-login-gateway.js';

/**
 * Login, sessions and access tokens: imported by the API only, so processes that never see a token (worker, CLI) do not
 * need the signing secret. The secret is checked here, at start-up: a missing, short or published one stops the API.
 */
@Module({
  imports: [
    CoreModule,
    JwtModule.registerAsync({
      inject: [AppConfig],
      // a KeyObject, not a string: jsonwebtoken would otherwise try (and fail) to parse it as a public key on every verify
      useFactory: (config: AppConfig) => ({ secret: createSecretKey(Buffer.from(jwtSecretOf(config), 'utf8')),
        signOptions: { algorithm: 'HS256' }, verifyOptions: { algorithms: ['HS256'] } }),
    }),
  ],
  providers: [UsersRepository, SessionCache, AuthService,
    // 免登: the GATEWAY_ZWDD_* part of the process's gateway configuration (DatabaseModule)
    { provide: ZwddLoginGateway, inject: [GATEWAY_CONFIG], useFactory: (gateways: ResolvedGatewayConfig) => new ZwddLoginGateway(gateways) }],
  exports: [UsersRepository, SessionCache, AuthService],
})
export class AuthModule {}
