import { Body, Controller, HttpCode, Post, Req, UseGuards } from '@nestjs/common';
import { ApiBearerAuth, ApiOperation, ApiTags } from '@nestjs/swagger';
import { Type } from '@sinclair/typebox';
import { ValidateBy } from 'class-validator';
import type { ValidationArguments } from 'class-validator';
import type { Request } from 'express';
import { DateTime, Nullable, Shape } from '#contracts';
import { creditCodeProblem, IrsService, lookupIdNumberProblem, REASON_MAX, REASON_MIN } from '#core';
import type { Actor, IrsEnterpriseLookup, IrsPersonLookup } from '#core';
import { CurrentActor } from '../auth/auth.guard.js';
import { code, DeclaredInputOnly, Field, text, Uuid } from '../common/fields.js';
import type { FieldKind } from '../common/fields.js';
import { Problems, Returns } from '../common/openapi.js';

// ---- request fields ------------------------------------------------------------------------------------------------

/** A key with a fixed syntax and a check character: the syntax in the schema, the check by `problem` (400 naming it). */
function checkedCode(pattern: RegExp, length: number, problem: (v: string) => string | null, checkName: string): FieldKind {
  const base = code(pattern, { maxLength: length, minLength: length });
  const check = ValidateBy({
    name: checkName,
    validator: {
      // the syntax is the pattern's to refuse (one message per problem): the check runs on well-formed values only
      validate: (v: unknown) => typeof v !== 'string' || !pattern.test(v) || problem(v) === null,
      defaultMessage: (a?: ValidationArguments) => `${a?.property ?? 'value'} ${problem(String(a?.value ?? '')) ?? 'is not valid'}`,
    },
  });
  // x / lower case are within the pattern and mean the same key: one spelling reaches the gateway and the audit
  return { ...base, normalize: (v) => v.toUpperCase(), validators: (e) => [...base.validators(e), check] };
}

const ID_NUMBER = checkedCode(/^[1-9]\d{16}[\dXx]$/, 18, (v) => lookupIdNumberProblem(v), 'gb11643');
const CREDIT_CODE = checkedCode(/^[0-9A-HJ-NPQRTUWXYa-hj-npqrtuwxy]{2}\d{6}[0-9A-HJ-NPQRTUWXYa-hj-npqrtuwxy]{10}$/, 18, creditCodeProblem, 'gb32100');
/** Trimmed before it is measured: "   核实 " is a 2-character reason. */
const REASON: FieldKind = { ...text({ max: REASON_MAX, min: REASON_MIN }), normalize: (v) => v.trim() };

const reasonDoc = `Why this lookup is needed (${REASON_MIN}–${REASON_MAX} characters once trimmed, e.g. 核实当事人身份): written to the audit log with who asked.`;
const eventDoc = 'The event the lookup is for: one the caller may see (404 otherwise); kept in the audit log.';

export class IrsPersonLookupDto {
  @Field(ID_NUMBER, { description: '18-character 居民身份证号码 (GB 11643 check character; x is read as X). Sent in the body, never in a URL.' })
  idNumber: string;
  @Field(REASON, { description: reasonDoc }) reason: string;
  @Uuid({ optional: true, description: eventDoc }) eventId?: string;
}

export class IrsEnterpriseLookupDto {
  @Field(CREDIT_CODE, { description: '18-character 统一社会信用代码 (GB 32100 check character; lower case is read as upper case).' })
  creditCode: string;
  @Field(REASON, { description: reasonDoc }) reason: string;
  @Uuid({ optional: true, description: eventDoc }) eventId?: string;
}

// ---- answers -------------------------------------------------------------------------------------------------------

const lookupFields = {
  found: Type.Boolean({ description: 'false: the data service has no record of this key (200, not 404: the lookup itself happened and is audited)' }),
  eventId: Nullable(Type.String({ format: 'uuid' })),
  lookedUpAt: DateTime(),
};

export const IrsPersonSchema = Shape('IrsPerson', {
  name: Nullable(Type.String({ description: 'Masked: the surname and stars (王**)' })),
  idNumber: Nullable(Type.String({ description: 'Masked: issuing county and last four (330523********1234)' })),
  gender: Nullable(Type.Union([Type.Literal('男'), Type.Literal('女')])),
  birthYear: Nullable(Type.Integer({ description: 'The year only' })),
  phone: Nullable(Type.String({ description: 'Masked (138****1234)' })),
  address: Nullable(Type.String({ description: 'Cut to the township/street (乡镇/街道) level, the rest ***' })),
});

export const IrsPersonLookupSchema = Shape('IrsPersonLookup', {
  ...lookupFields,
  subject: Type.String({ description: 'The ID number looked up, masked' }),
  person: Nullable(IrsPersonSchema),
});

export const IrsEnterpriseSchema = Shape('IrsEnterprise', {
  name: Nullable(Type.String({ description: '企业名称 (public registry data)' })),
  creditCode: Type.String(),
  legalPerson: Nullable(Type.String({ description: '法定代表人, masked (王**)' })),
  address: Nullable(Type.String({ description: 'Cut to the township/street (乡镇/街道) level, the rest ***' })),
  status: Nullable(Type.String({ description: '登记状态 (存续, 注销 …)' })),
  establishedOn: Nullable(Type.String({ format: 'date' })),
});

export const IrsEnterpriseLookupSchema = Shape('IrsEnterpriseLookup', {
  ...lookupFields,
  subject: Type.String({ description: 'The credit code looked up' }),
  enterprise: Nullable(IrsEnterpriseSchema),
});

const PROBLEMS = [
  [403, 'Only dispatchers (township_dispatcher, county_operator) may look up IRS data'],
  [404, 'eventId: no such event in the caller\'s jurisdiction'],
  [429, 'Too many lookups by this user (IRS_LOOKUPS_PER_MINUTE / IRS_LOOKUPS_PER_DAY); audited'],
  [502, 'The IRS data service failed, timed out or refused the call; audited'],
  [503, 'The IRS gateway is not configured (GATEWAY_IRS_*), or the rate limit cannot be checked; audited'],
] as [number, string][];

/**
 * 信息核查 (issue 10, "data on demand"): a person by 身份证号 or an enterprise by 统一社会信用代码 through the IRS
 * data-sharing gateway, for the dispatch desks. Keys travel in the body (never in a URL: URLs reach access logs and
 * the audit of denials). The answer is masked; every lookup is in the audit log with who, why and the outcome.
 */
@ApiTags('irs')
@ApiBearerAuth()
@UseGuards(DeclaredInputOnly)
@Controller('irs')
export class IrsController {
  constructor(private readonly irs: IrsService) {}

  @Post('person') @HttpCode(200)
  @ApiOperation({ summary: 'Look a person up by 身份证号 (dispatchers; reason required; masked answer; audited)' })
  @Returns(200, IrsPersonLookupSchema, 'The person, masked; or found: false')
  @Problems(...PROBLEMS)
  person(@CurrentActor() actor: Actor, @Body() dto: IrsPersonLookupDto, @Req() req: Request): Promise<IrsPersonLookup> {
    return this.irs.lookupPerson(actor, dto, req.ip ?? null);
  }

  @Post('enterprise') @HttpCode(200)
  @ApiOperation({ summary: 'Look an enterprise up by 统一社会信用代码 (dispatchers; reason required; legal representative masked; audited)' })
  @Returns(200, IrsEnterpriseLookupSchema, 'The enterprise; or found: false')
  @Problems(...PROBLEMS)
  enterprise(@CurrentActor() actor: Actor, @Body() dto: IrsEnterpriseLookupDto, @Req() req: Request): Promise<IrsEnterpriseLookup> {
    return this.irs.lookupEnterprise(actor, dto, req.ip ?? null);
  }
}
