import { createParamDecorator, Injectable, SetMetadata } from '@nestjs/common';
import type { CanActivate, ExecutionContext } from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import type { Request } from 'express';
import { AuthService, Problem } from '#core';
import type { Actor } from '#core';

export const PUBLIC = 'grid141:public';
export const PASSWORD_CHANGE_EXEMPT = 'grid141:password-change-exempt';
/** Marks a route a user who must change their password may still call (me, password change, logout). */
export const PasswordChangeExempt = () => SetMetadata(PASSWORD_CHANGE_EXEMPT, true);
/** Marks a route that needs no access token (login, health, docs). */
export const Public = () => SetMetadata(PUBLIC, true);

/** Bearer access token on every route unless @Public(). */
@Injectable()
export class AuthGuard implements CanActivate {
  constructor(private readonly reflector: Reflector, private readonly auth: AuthService) {}

  async canActivate(ctx: ExecutionContext): Promise<boolean> {
    if (this.reflector.getAllAndOverride<boolean>(PUBLIC, [ctx.getHandler(), ctx.getClass()])) return true;
    const req = ctx.switchToHttp().getRequest<Request & { actor?: Actor }>();
    const header = req.headers.authorization ?? '';
    const match = /^Bearer (.+)$/i.exec(header);
    if (!match?.[1] || match[1].length > 4096) throw Problem.unauthorized('an Authorization: Bearer <accessToken> header is required');
    req.actor = await this.auth.verify(match[1]);
    if (req.actor.mustChangePassword && !this.reflector.getAllAndOverride<boolean>(PASSWORD_CHANGE_EXEMPT, [ctx.getHandler(), ctx.getClass()])) {
      throw new Problem(403, 'Forbidden', 'the password must be changed first: POST /api/v1/auth/password', [],
        'urn:grid141:problem:password-change-required');
    }
    return true;
  }
}

/** The authenticated caller. */
export const CurrentActor = createParamDecorator((_: unknown, ctx: ExecutionContext): Actor => {
  const actor = ctx.switchToHttp().getRequest<{ actor?: Actor }>().actor;
  if (!actor) throw Problem.unauthorized('not authenticated');
  return actor;
});
