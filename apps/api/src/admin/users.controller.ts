import { Body, Controller, Get, HttpCode, Param, ParseUUIDPipe, Patch, Post, Query, Req, Res, UploadedFile, UseGuards, UseInterceptors } from '@nestjs/common';
import { FileInterceptor } from '@nestjs/platform-express';
import { ApiBearerAuth, ApiBody, ApiConsumes, ApiOperation, ApiTags } from '@nestjs/swagger';
import type { Request, Response } from 'express';
import { ROLES } from '#domain';
import type { Role } from '#domain';
import { PasswordResetSchema, PersonalDataViewSchema, RosterImportResultSchema, UserAdminListSchema, UserAdminViewSchema, UserCreatedSchema, ZWDD_ACCOUNT_ID } from '#contracts';
import type { PasswordReset, PersonalDataView, RosterImportResult, UserAdminList, UserAdminView, UserCreated } from '#contracts';
import { Problem, RosterService, UserAdminService } from '#core';
import type { Actor, NewUser, UserChanges } from '#core';
import { CurrentActor } from '../auth/auth.guard.js';
import { Bool, Code, DeclaredInputOnly, Enum, Int, Text } from '../common/fields.js';
import { IdParam, Problems, Returns, ReturnsBinary } from '../common/openapi.js';

const UNIT = /^[0-9A-Za-z][0-9A-Za-z-]{0,39}$/;
const REGION = /^\d{6,18}$/;
/** The syntax only (400); the GB 11643 check digit and birth date are checked by the service (422 naming the field). */
const ID_NUMBER = /^\d{17}[\dXx]$/;
const MOBILE = /^1[3-9]\d{9}$/;
const USERNAME = /^[a-z0-9][a-z0-9._-]{2,63}$/;

export class UsersQuery {
  @Text({ max: 50, optional: true, query: true, description: 'Part of the username or display name (case-insensitive).' }) q?: string;
  @Enum(ROLES, { optional: true }) role?: Role;
  @Code(UNIT, { maxLength: 40, optional: true }) unitCode?: string;
  @Code(/^\d{1,18}$/, { maxLength: 18, optional: true, description: 'Region-code prefix of the jurisdiction (330523001: the township and everything in it).' })
  jurisdiction?: string;
  @Bool({ optional: true, query: true }) disabled?: boolean;
  @Int({ min: 1, max: 200, optional: true, query: true, description: 'Page size (default 50).' }) limit?: number;
  @Int({ min: 0, max: 1_000_000, optional: true, query: true }) offset?: number;
}

/** Personal data in a body, never in a URL (URLs reach access logs, proxies and the audit of denials). */
export class LookupDto {
  @Code(MOBILE, { maxLength: 11, optional: true, description: 'Exact phone number (found by its blind index; never stored in clear).' }) phone?: string;
  @Code(ID_NUMBER, { maxLength: 18, optional: true, description: 'Exact ID number (found by its blind index).' }) idNumber?: string;
}

export class CreateUserDto implements NewUser {
  @Code(USERNAME, { maxLength: 64, optional: true, description: 'Omitted: the scheme gw.<grid>, tw.<township>, h.<unit> … (first free .2, .3 …).' })
  username?: string;
  @Text({ max: 50, example: '张三' }) displayName: string;
  @Enum(ROLES) role: Role;
  @Code(UNIT, { maxLength: 40, nullable: true, description: 'Grid worker: <grid>-WG; township dispatcher: <township>-ZH; handler: its unit; county operator: <county>-ZX; admin: null.' })
  unitCode: string | null;
  @Code(REGION, { maxLength: 18, description: 'Grid worker: the grid; township dispatcher: the township; handler: its unit\'s region; county roles: the county.' })
  jurisdictionCode: string;
  @Code(MOBILE, { maxLength: 11, optional: true, nullable: true, description: 'Mainland mobile number (stored encrypted).' }) phone?: string | null;
  @Code(ID_NUMBER, { maxLength: 18, optional: true, nullable: true, description: '18-character ID number, GB 11643 check digit (stored encrypted).' })
  idNumber?: string | null;
  @Code(ZWDD_ACCOUNT_ID, { maxLength: 64, optional: true, nullable: true, description: '浙政钉 accountId for 免登 (one account per user: another user\'s is a 409).' })
  zwddAccountId?: string | null;
}

export class UpdateUserDto implements UserChanges {
  @Text({ max: 50, optional: true }) displayName?: string;
  @Enum(ROLES, { optional: true }) role?: Role;
  @Code(UNIT, { maxLength: 40, optional: true, nullable: true }) unitCode?: string | null;
  @Code(REGION, { maxLength: 18, optional: true }) jurisdictionCode?: string;
  @Code(MOBILE, { maxLength: 11, optional: true, nullable: true, description: 'null removes it.' }) phone?: string | null;
  @Code(ID_NUMBER, { maxLength: 18, optional: true, nullable: true, description: 'null removes it.' }) idNumber?: string | null;
  @Code(ZWDD_ACCOUNT_ID, { maxLength: 64, optional: true, nullable: true, description: '浙政钉 accountId for 免登; null unbinds it; another user\'s is a 409.' })
  zwddAccountId?: string | null;
}

export class ReasonQuery {
  @Text({ max: 200, optional: true, query: true, description: 'Why the clear values are needed: required (422 without), written to the audit log.' })
  reason?: string;
}

export class ImportQuery {
  @Bool({ query: true, description: 'true: check every row and report, write nothing; false: write, if every row is valid (one transaction).' })
  dryRun: boolean;
}

export class ExportQuery {
  @Enum(['xlsx'] as const, { optional: true, description: 'The file format (xlsx, the default).' }) format?: 'xlsx';
  @Text({ max: 200, optional: true, query: true, description: 'Given: phone and ID numbers in clear, and the reason is audited. Omitted: masked.' })
  reason?: string;
}

const XLSX = 'application/vnd.openxmlformats-officedocument.spreadsheetml.sheet';
const ZIP_MAGIC = Buffer.from([0x50, 0x4b, 0x03, 0x04]);

const userId = () => new ParseUUIDPipe({ exceptionFactory: () => Problem.notFound('user') });

/** Admin: people (用户管理). Every other role gets 403. */
@ApiTags('admin')
@ApiBearerAuth()
@UseGuards(DeclaredInputOnly)
@Controller('admin/users')
export class UsersController {
  constructor(private readonly users: UserAdminService, private readonly roster: RosterService) {}

  @Get('export')
  @ApiOperation({ summary: 'The roster as xlsx (admin): 姓名, 手机号, 身份证号, 所属网格/单位, 角色, 用户名, 状态; masked unless a reason is given; audited' })
  @ReturnsBinary(200, XLSX, 'The workbook')
  @Problems(403)
  async export(@CurrentActor() actor: Actor, @Query() q: ExportQuery, @Req() req: Request, @Res() res: Response): Promise<void> {
    const { mime, data } = await this.roster.export(actor, q.reason ?? null, req.ip ?? null);
    res.type(mime).setHeader('Content-Disposition', 'attachment; filename="roster.xlsx"');
    res.setHeader('Cache-Control', 'no-store');
    res.send(data);
  }

  /** multipart/form-data with one `file`: the roster (xlsx). */
  @Post('import') @HttpCode(200) @ApiConsumes('multipart/form-data')
  @ApiOperation({ summary: 'Import a roster (admin): dry run reports every row; otherwise all rows in one transaction, or nothing' })
  @ApiBody({
    required: true,
    schema: {
      type: 'object', required: ['file'], additionalProperties: false,
      properties: { file: { type: 'string', format: 'binary', description: 'xlsx; row 1 names the columns 姓名, 手机号, 身份证号, 所属网格/单位, 角色.' } },
    },
  })
  @Returns(200, RosterImportResultSchema, 'The report (dry run), or what was written: created, updated, unchanged, and the new accounts\' initial passwords')
  @Problems(403, [413, 'The file is larger than the upload limit'], [415, 'Not an xlsx workbook'],
    [422, 'Not a roster (errors[] names file), or a row is invalid (nothing written; errors[] names each row and column)'])
  @UseInterceptors(FileInterceptor('file'))
  async import(@CurrentActor() actor: Actor, @Query() q: ImportQuery, @UploadedFile() file: Express.Multer.File | undefined,
    @Req() req: Request): Promise<RosterImportResult> {
    this.users.requireAdmin(actor);
    if (!file || file.size === 0) throw Problem.invalidField('file', 'a non-empty xlsx file is required', 400);
    // multer keeps the other multipart fields in req.body: the import takes none
    const extra = Object.keys((req.body ?? {}) as object)[0];
    if (extra !== undefined) throw Problem.badRequest(`${extra}: the import takes only \`file\``, [{ field: extra, message: 'is not a field of this upload' }]);
    if (!file.buffer.subarray(0, 4).equals(ZIP_MAGIC)) {
      throw new Problem(415, 'Unsupported Media Type', 'file: not an xlsx workbook', [{ field: 'file', message: 'is not an xlsx workbook' }],
        'urn:grid141:problem:unsupported-media');
    }
    return this.roster.import(actor, file.buffer, q.dryRun, req.ip ?? null);
  }

  @Get()
  @ApiOperation({ summary: 'Search users (admin): filters, exact phone or ID number; personal data masked' })
  @Returns(200, UserAdminListSchema, 'A page of users in username order, and how many match')
  @Problems(403)
  list(@CurrentActor() actor: Actor, @Query() q: UsersQuery): Promise<UserAdminList> {
    return this.users.list(actor, { ...q, limit: q.limit ?? 50, offset: q.offset ?? 0 });
  }

  @Post('lookup') @HttpCode(200)
  @ApiOperation({ summary: 'Find users by exact phone and/or ID number (admin), sent in the body; personal data masked' })
  @Returns(200, UserAdminListSchema, 'The matching users (at most one per value: a phone or ID number belongs to one account)')
  @Problems(403)
  lookup(@CurrentActor() actor: Actor, @Body() dto: LookupDto): Promise<UserAdminList> {
    this.users.requireAdmin(actor);
    if (dto.phone === undefined && dto.idNumber === undefined) throw Problem.badRequest('phone or idNumber is required', [{ field: 'phone', message: 'phone or idNumber is required' }]);
    return this.users.list(actor, { phone: dto.phone, idNumber: dto.idNumber, limit: 200, offset: 0 });
  }

  @Post()
  @ApiOperation({ summary: 'Create a user (admin) with a temporary password to change at first login' })
  @Returns(201, UserCreatedSchema, 'The user, and its temporary password (shown once)')
  @Problems(403, [409, 'The username or the 浙政钉 account is taken'], [422, 'Inconsistent role, unit and jurisdiction, a phone or ID number that is invalid or another account\'s (errors[] names the field)'])
  create(@CurrentActor() actor: Actor, @Body() dto: CreateUserDto, @Req() req: Request): Promise<UserCreated> {
    return this.users.create(actor, { ...dto, phone: dto.phone ?? null, idNumber: dto.idNumber ?? null, zwddAccountId: dto.zwddAccountId ?? null }, req.ip ?? null);
  }

  @Get(':id')
  @ApiOperation({ summary: 'A user (admin); personal data masked' })
  @IdParam('id', 'User id')
  @Returns(200, UserAdminViewSchema, 'The user')
  @Problems(403, 404)
  get(@CurrentActor() actor: Actor, @Param('id', userId()) id: string): Promise<UserAdminView> {
    return this.users.get(actor, id);
  }

  @Patch(':id')
  @ApiOperation({ summary: 'Edit a user (admin): display name, role, unit, jurisdiction, phone, ID number, 浙政钉 account' })
  @IdParam('id', 'User id')
  @Returns(200, UserAdminViewSchema, 'The user as stored')
  @Problems(403, 404, [409, 'The 浙政钉 account is bound to another user'], [422, 'Inconsistent role, unit and jurisdiction, or an invalid or taken phone or ID number (errors[] names the field)'])
  update(@CurrentActor() actor: Actor, @Param('id', userId()) id: string, @Body() dto: UpdateUserDto, @Req() req: Request): Promise<UserAdminView> {
    return this.users.update(actor, id, dto, req.ip ?? null);
  }

  @Post(':id/disable') @HttpCode(200)
  @ApiOperation({ summary: 'Disable a user (admin): every session of it ends at once' })
  @IdParam('id', 'User id')
  @Returns(200, UserAdminViewSchema, 'The user, disabled')
  @Problems(403, 404, [409, 'An administrator cannot disable their own account'])
  disable(@CurrentActor() actor: Actor, @Param('id', userId()) id: string, @Req() req: Request): Promise<UserAdminView> {
    return this.users.setDisabled(actor, id, true, req.ip ?? null);
  }

  @Post(':id/enable') @HttpCode(200)
  @ApiOperation({ summary: 'Re-enable a user (admin)' })
  @IdParam('id', 'User id')
  @Returns(200, UserAdminViewSchema, 'The user, enabled')
  @Problems(403, 404)
  enable(@CurrentActor() actor: Actor, @Param('id', userId()) id: string, @Req() req: Request): Promise<UserAdminView> {
    return this.users.setDisabled(actor, id, false, req.ip ?? null);
  }

  @Post(':id/reset-password') @HttpCode(200)
  @ApiOperation({ summary: 'Reset a user\'s password (admin): a random temporary one, to be changed at next login; sessions end' })
  @IdParam('id', 'User id')
  @Returns(200, PasswordResetSchema, 'The temporary password (shown once)')
  @Problems(403, 404)
  resetPassword(@CurrentActor() actor: Actor, @Param('id', userId()) id: string, @Req() req: Request): Promise<PasswordReset> {
    return this.users.resetPassword(actor, id, req.ip ?? null);
  }

  @Get(':id/personal-data')
  @ApiOperation({ summary: 'A user\'s phone and ID number in clear (admin): needs a reason, audited' })
  @IdParam('id', 'User id')
  @Returns(200, PersonalDataViewSchema, 'The clear values')
  @Problems(403, 404, [422, 'No reason given (errors[] names reason)'])
  personalData(@CurrentActor() actor: Actor, @Param('id', userId()) id: string, @Query() q: ReasonQuery, @Req() req: Request): Promise<PersonalDataView> {
    this.users.requireAdmin(actor);
    if (q.reason === undefined) throw Problem.invalidField('reason', 'an unmasked view needs a reason');
    return this.users.personalData(actor, id, q.reason, req.ip ?? null);
  }
}
