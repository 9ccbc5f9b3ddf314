import { Body, Controller, Get, HttpCode, Post, Req } from '@nestjs/common';
import { ApiBearerAuth, ApiTags } from '@nestjs/swagger';
import { IsString, MaxLength, MinLength } from 'class-validator';
import type { Request } from 'express';
import { AuthService } from '#core';
import type { Actor } from '#core';
import { CurrentActor, Public } from './auth.guard.js';

export class LoginDto {
  @IsString() @MinLength(1) @MaxLength(100) username: string;
  @IsString() @MinLength(1) @MaxLength(200) password: string;
}

export class RefreshDto {
  @IsString() @MinLength(20) @MaxLength(200) refreshToken: string;
}

export class ChangePasswordDto {
  @IsString() @MinLength(1) @MaxLength(200) currentPassword: string;
  /** The password policy (length, not the username, not a common password) is checked by AuthService. */
  @IsString() @MinLength(1) @MaxLength(200) newPassword: string;
}

@ApiTags('auth')
@Controller()
export class AuthController {
  constructor(private readonly auth: AuthService) {}

  /** Login: tokens for a new session. Unknown user, wrong password and locked account all answer the same 401. */
  @Public() @Post('auth/login') @HttpCode(200)
  login(@Body() dto: LoginDto, @Req() req: Request) {
    return this.auth.login(dto.username, dto.password, req.ip ?? null);
  }

  /** Rotates the refresh token of a session; a reused token revokes the whole session. */
  @Public() @Post('auth/refresh') @HttpCode(200)
  refresh(@Body() dto: RefreshDto, @Req() req: Request) {
    return this.auth.refresh(dto.refreshToken, req.ip ?? null);
  }

  /** Ends the caller's session: its access and refresh tokens stop working at once. */
  @ApiBearerAuth() @Post('auth/logout') @HttpCode(204)
  async logout(@CurrentActor() actor: Actor, @Req() req: Request): Promise<void> {
    await this.auth.logout(actor, req.ip ?? null);
  }

  /** Changes the caller's password: every session of the user ends, and tokens for a new one are returned. */
  @ApiBearerAuth() @Post('auth/password') @HttpCode(200)
  changePassword(@CurrentActor() actor: Actor, @Body() dto: ChangePasswordDto, @Req() req: Request) {
    return this.auth.changePassword(actor, dto.currentPassword, dto.newPassword, req.ip ?? null);
  }

  @ApiBearerAuth() @Get('me')
  me(@CurrentActor() actor: Actor) {
    return this.auth.me(actor);
  }
}
