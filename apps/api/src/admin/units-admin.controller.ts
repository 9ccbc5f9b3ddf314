import { Body, Controller, Get, HttpCode, Param, Patch, Post, Query, Req, UseGuards } from '@nestjs/common';
import { ApiBearerAuth, ApiOperation, ApiTags } from '@nestjs/swagger';
import type { Request } from 'express';
import { AdminUnitListSchema, AdminUnitViewSchema, MANAGED_UNIT_TYPES, PlatformTypeListSchema, PlatformTypeViewSchema, UNIT_TYPES } from '#contracts';
import type { AdminUnitList, AdminUnitView, PlatformTypeList, PlatformTypeView } from '#contracts';
import { UnitsAdminService } from '#core';
import type { Actor, NewPlatformType, NewUnit, PlatformTypeChanges, UnitChanges, UnitType } from '#core';
import { CurrentActor } from '../auth/auth.guard.js';
import { Bool, Code, DeclaredInputOnly, Enum, Int, Text } from '../common/fields.js';
import { Problems, Returns } from '../common/openapi.js';

const UNIT = /^[0-9A-Za-z][0-9A-Za-z-]{0,39}$/;
const KIND = /^[A-Z][A-Z0-9]{1,7}$/;

export class UnitsQuery {
  @Text({ max: 50, optional: true, query: true, description: 'Part of the code or name.' }) q?: string;
  @Enum(UNIT_TYPES, { optional: true }) type?: UnitType;
  @Code(/^\d{6,15}$/, { maxLength: 15, optional: true, description: 'Region-code prefix (default: the county).' }) region?: string;
  @Bool({ optional: true, query: true, description: 'true: active only; false: retired only.' }) active?: boolean;
  @Int({ min: 1, max: 500, optional: true, query: true, description: 'Page size (default 100).' }) limit?: number;
  @Int({ min: 0, max: 1_000_000, optional: true, query: true }) offset?: number;
}

export class UnitCodeParam {
  @Code(UNIT, { maxLength: 40, description: 'The unit code.' }) code: string;
}

export class CreateUnitDto implements NewUnit {
  @Enum(MANAGED_UNIT_TYPES) type: 'county_department' | 'township_platform' | 'township_station';
  @Text({ max: 60, example: '递铺街道综治工作平台' }) name: string;
  @Code(/^\d{6}(\d{3})?$/, { maxLength: 9, description: 'County department: the county; platform or station: its township.' }) regionCode: string;
  @Code(KIND, { maxLength: 8, optional: true, description: 'Township platform: its platform type (also the code suffix).' }) platformTypeCode?: string;
  @Code(KIND, { maxLength: 8, optional: true, description: 'County department or station: its kind, the code suffix (GA, ZF, PCS …).' }) departmentKind?: string;
}

export class UpdateUnitDto implements UnitChanges {
  @Text({ max: 60, optional: true }) name?: string;
  @Code(KIND, { maxLength: 8, optional: true, description: 'Township platform only: its platform type (routing).' }) platformTypeCode?: string;
}

export class PlatformCodeParam {
  @Code(KIND, { maxLength: 8, description: 'The platform type code.' }) code: string;
}

export class CreatePlatformTypeDto implements NewPlatformType {
  @Code(KIND, { maxLength: 8, description: 'ZZ, JG … (also the suffix of its township platforms).' }) code: string;
  @Text({ max: 30, example: '综治工作' }) name: string;
  @Text({ max: 20, optional: true, description: 'Scheme label (default: the current one).' }) scheme?: string;
  @Int({ min: 0, max: 1000, optional: true }) sort?: number;
}

export class UpdatePlatformTypeDto implements PlatformTypeChanges {
  @Text({ max: 30, optional: true }) name?: string;
  @Int({ min: 0, max: 1000, optional: true }) sort?: number;
  @Bool({ optional: true, description: 'false retires it (409 while enabled categories route to it).' }) active?: boolean;
}

/** Admin: units (处置单位) and platform types (四平台) as data. Every other role gets 403. */
@ApiTags('admin')
@ApiBearerAuth()
@UseGuards(DeclaredInputOnly)
@Controller('admin')
export class UnitsAdminController {
  constructor(private readonly units: UnitsAdminService) {}

  @Get('units')
  @ApiOperation({ summary: 'Units of the county (admin), with their enabled accounts and open events' })
  @Returns(200, AdminUnitListSchema, 'A page of units in region and type order, and how many match')
  @Problems(403)
  list(@CurrentActor() actor: Actor, @Query() q: UnitsQuery): Promise<AdminUnitList> {
    return this.units.list(actor, { ...q, limit: q.limit ?? 100, offset: q.offset ?? 0 });
  }

  @Post('units')
  @ApiOperation({ summary: 'Create a county department, township platform or station (admin); code `<region>-<kind>`' })
  @Returns(201, AdminUnitViewSchema, 'The unit')
  @Problems(403, [409, 'The code exists (codes are never reused)'], [422, 'A type, region, platform type or kind that does not fit (errors[] names the field)'])
  create(@CurrentActor() actor: Actor, @Body() dto: CreateUnitDto, @Req() req: Request): Promise<AdminUnitView> {
    return this.units.create(actor, dto, req.ip ?? null);
  }

  @Get('units/:code')
  @ApiOperation({ summary: 'A unit (admin)' })
  @Returns(200, AdminUnitViewSchema, 'The unit')
  @Problems(403, 404)
  get(@CurrentActor() actor: Actor, @Param() p: UnitCodeParam): Promise<AdminUnitView> {
    return this.units.get(actor, p.code);
  }

  @Patch('units/:code')
  @ApiOperation({ summary: 'Rename a unit, or change a township platform\'s platform type (admin)' })
  @Returns(200, AdminUnitViewSchema, 'The unit as stored')
  @Problems(403, 404, [422, 'Unknown or retired platform type, or not a platform (errors[] names platformTypeCode)'])
  update(@CurrentActor() actor: Actor, @Param() p: UnitCodeParam, @Body() dto: UpdateUnitDto, @Req() req: Request): Promise<AdminUnitView> {
    return this.units.update(actor, p.code, dto, req.ip ?? null);
  }

  @Post('units/:code/retire') @HttpCode(200)
  @ApiOperation({ summary: 'Retire (撤销) a county department, platform or station (admin)' })
  @Returns(200, AdminUnitViewSchema, 'The unit, retired')
  @Problems(403, 404, [409, 'It still has enabled accounts or open events, or is not a unit an administrator retires'])
  retire(@CurrentActor() actor: Actor, @Param() p: UnitCodeParam, @Req() req: Request): Promise<AdminUnitView> {
    return this.units.setActive(actor, p.code, false, req.ip ?? null);
  }

  @Post('units/:code/restore') @HttpCode(200)
  @ApiOperation({ summary: 'Restore a retired unit (admin)' })
  @Returns(200, AdminUnitViewSchema, 'The unit, active')
  @Problems(403, 404, 409, [422, 'Its platform type is retired'])
  restore(@CurrentActor() actor: Actor, @Param() p: UnitCodeParam, @Req() req: Request): Promise<AdminUnitView> {
    return this.units.setActive(actor, p.code, true, req.ip ?? null);
  }

  @Get('platform-types')
  @ApiOperation({ summary: 'Platform types (四平台) categories route to (admin)' })
  @Returns(200, PlatformTypeListSchema, 'Every platform type, retired ones included')
  @Problems(403)
  async platformTypes(@CurrentActor() actor: Actor): Promise<PlatformTypeList> {
    return { items: await this.units.listPlatformTypes(actor) };
  }

  @Post('platform-types')
  @ApiOperation({ summary: 'Define a platform type (admin)' })
  @Returns(201, PlatformTypeViewSchema, 'The platform type')
  @Problems(403, [409, 'The code exists'])
  createPlatformType(@CurrentActor() actor: Actor, @Body() dto: CreatePlatformTypeDto, @Req() req: Request): Promise<PlatformTypeView> {
    return this.units.createPlatformType(actor, dto, req.ip ?? null);
  }

  @Patch('platform-types/:code')
  @ApiOperation({ summary: 'Rename, reorder, retire or restore a platform type (admin)' })
  @Returns(200, PlatformTypeViewSchema, 'The platform type as stored')
  @Problems(403, 404, [409, 'Retiring a type enabled categories route to'])
  updatePlatformType(@CurrentActor() actor: Actor, @Param() p: PlatformCodeParam, @Body() dto: UpdatePlatformTypeDto, @Req() req: Request): Promise<PlatformTypeView> {
    return this.units.updatePlatformType(actor, p.code, dto, req.ip ?? null);
  }
}
