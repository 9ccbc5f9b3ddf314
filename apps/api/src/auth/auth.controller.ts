import { Body, Controller, Get, HttpCode, Post, Req, UseGuards } from '@nestjs/common';
import { ApiBearerAuth, ApiOperation, ApiTags } from '@nestjs/swagger';
import { MeViewSchema, SessionTokensSchema } from '#contracts';
import type { Request } from 'express';
import { AuthService } from '#core';
import type { Actor } from '#core';
import { Code, DeclaredInputOnly, Text } from '../common/fields.js';
import { Problems, Returns, ReturnsNothing } from '../common/openapi.js';
import { CurrentActor, PasswordChangeExempt, Public } from './auth.guard.js';

export class LoginDto {
  @Text({ max: 100, example: 'tw.330523001' }) username: string;
  @Text({ max: 200 }) password: string;
}

/** 免登: the one thing the page sends is the 浙政钉 auth code; who the user is comes from 浙政钉, never from the page. */
export class ZwddLoginDto {
  @Code(/^[A-Za-z0-9._~+\/=-]{4,256}$/, { minLength: 4, maxLength: 256,
    description: 'The one-time auth code the 浙政钉 container gave the page (gdt-jsapi getAuthCode, or ?authCode= of the entry URL).' })
  authCode: string;
}

export class RefreshDto {
  @Code(/^[A-Za-z0-9_-]{20,200}$/, { minLength: 20, maxLength: 200, description: 'The refreshToken of the last login or refresh.' }) refreshToken: string;
}

export class ChangePasswordDto {
  @Text({ max: 200 }) currentPassword: string;
  /** The password policy (length, not the username, not a common password) is checked by AuthService. */
  @Text({ max: 200, description: 'At least 12 characters, at most 128; not the username, not a common password.' }) newPassword: string;
}

@ApiTags('auth')
@UseGuards(DeclaredInputOnly)
@Controller()
export class AuthController {
  constructor(private readonly auth: AuthService) {}

  /** Login: tokens for a new session. Unknown user, wrong password and locked account all answer the same 401. */
  @Public() @Post('auth/login') @HttpCode(200)
  @ApiOperation({ summary: 'Log in: tokens for a new session' })
  @Returns(200, SessionTokensSchema, 'The tokens of the new session')
  @Problems([401, 'Wrong username or password, or the account is temporarily locked (one answer for all three)'])
  login(@Body() dto: LoginDto, @Req() req: Request) {
    return this.auth.login(dto.username, dto.password, req.ip ?? null);
  }

  /**
   * 浙政钉 免登: the auth code is exchanged with 浙政钉 on the server for the account, and the user bound to it gets a
   * session exactly like a password login's. The OpenAPI fuzz test runs it against the province sandbox.
   */
  @Public() @Post('auth/zwdd') @HttpCode(200)
  @ApiOperation({ summary: '浙政钉 免登: exchange a one-time auth code for the tokens of a new session' })
  @Returns(200, SessionTokensSchema, 'The tokens of the new session (the same as a password login\'s)')
  @Problems([401, 'The code is invalid, used or expired, or no enabled user is bound to the 浙政钉 account'],
    [502, 'The 浙政钉 gateway refused the server\'s call (keys, route)'], [503, 'The 浙政钉 gateway is not configured or not reachable'])
  loginWithZwdd(@Body() dto: ZwddLoginDto, @Req() req: Request) {
    return this.auth.loginWithZwdd(dto.authCode, req.ip ?? null);
  }

  /** Rotates the refresh token of a session; a reused token revokes the whole session. */
  @Public() @Post('auth/refresh') @HttpCode(200)
  @ApiOperation({ summary: 'Rotate the refresh token of a session (each works once; reuse ends the session)' })
  @Returns(200, SessionTokensSchema, 'New tokens for the same session')
  @Problems([401, 'The refresh token is unknown, expired, already used or its session ended'])
  refresh(@Body() dto: RefreshDto, @Req() req: Request) {
    return this.auth.refresh(dto.refreshToken, req.ip ?? null);
  }

  /** Ends the caller's session: its access and refresh tokens stop working at once. */
  @ApiBearerAuth() @PasswordChangeExempt() @Post('auth/logout') @HttpCode(204)
  @ApiOperation({ summary: 'Log out: the session\'s access and refresh tokens stop working at once' })
  @ReturnsNothing(204, 'The session ended')
  async logout(@CurrentActor() actor: Actor, @Req() req: Request): Promise<void> {
    await this.auth.logout(actor, req.ip ?? null);
  }

  /** Changes the caller's password: every session of the user ends, and tokens for a new one are returned. */
  @ApiBearerAuth() @PasswordChangeExempt() @Post('auth/password') @HttpCode(200)
  @ApiOperation({ summary: 'Change the caller\'s password: every session of the user ends; tokens for a new one are returned' })
  @Returns(200, SessionTokensSchema, 'The tokens of a new session')
  @Problems([422, 'currentPassword is wrong (or the account is locked), or newPassword breaks the password policy (errors[] names the field)'])
  changePassword(@CurrentActor() actor: Actor, @Body() dto: ChangePasswordDto, @Req() req: Request) {
    return this.auth.changePassword(actor, dto.currentPassword, dto.newPassword, req.ip ?? null);
  }

  @ApiBearerAuth() @PasswordChangeExempt() @Get('me')
  @ApiOperation({ summary: 'The authenticated caller' })
  @Returns(200, MeViewSchema, 'The caller')
  me(@CurrentActor() actor: Actor) {
    return this.auth.me(actor);
  }
}
