import { Body, Controller, Get, Param, Patch, Req, UseGuards } from '@nestjs/common';
import { ApiBearerAuth, ApiOperation, ApiTags } from '@nestjs/swagger';
import type { Request } from 'express';
import { AdminCategoryListSchema, AdminCategoryViewSchema, RoutingTableSchema, URGENCIES } from '#contracts';
import type { AdminCategoryList, AdminCategoryView, RoutingTable } from '#contracts';
import { CategoriesAdminService } from '#core';
import type { Actor, CategoryChanges } from '#core';
import { CurrentActor } from '../auth/auth.guard.js';
import { Bool, Code, DeclaredInputOnly, Enum } from '../common/fields.js';
import { Problems, Returns } from '../common/openapi.js';

const KIND = /^[A-Z][A-Z0-9]{1,7}$/;

export class CategoryCodeParam {
  @Code(/^\d{4}$/, { maxLength: 4, description: '4-digit 小类 code.' }) code: string;
}

export class UpdateCategoryDto implements CategoryChanges {
  @Bool({ optional: true, description: 'false disables it: not offered for new reports (existing events keep it).' }) active?: boolean;
  @Code(KIND, { maxLength: 8, optional: true, nullable: true, description: 'Default township platform type; null: the command room keeps such events.' })
  platformTypeCode?: string | null;
  @Code(KIND, { maxLength: 8, optional: true, nullable: true, description: 'County lead department kind (unit `<county>-<kind>`).' })
  countyDepartment?: string | null;
  @Enum(URGENCIES, { optional: true }) defaultUrgency?: 'normal' | 'urgent';
  @Bool({ optional: true, description: '上报省平台: true reports the events of the category to the provincial platform with every status change, from their next change on (open events included); an event already reported stays reported when it is set back to false.' })
  reportToProvince?: boolean;
}

/** Admin: categories (事件分类) and the routing table. Every other role gets 403. */
@ApiTags('admin')
@ApiBearerAuth()
@UseGuards(DeclaredInputOnly)
@Controller('admin')
export class CategoriesAdminController {
  constructor(private readonly categories: CategoriesAdminService) {}

  @Get('categories')
  @ApiOperation({ summary: 'Every category, disabled ones included (admin)' })
  @Returns(200, AdminCategoryListSchema, 'The categories in their order')
  @Problems(403)
  async list(@CurrentActor() actor: Actor): Promise<AdminCategoryList> {
    return { items: await this.categories.list(actor) };
  }

  @Patch('categories/:code')
  @ApiOperation({ summary: 'Enable or disable a category; its default platform type, county lead department, default urgency, 上报省平台 (admin)' })
  @Returns(200, AdminCategoryViewSchema, 'The category as stored')
  @Problems(403, 404, [422, 'Unknown or retired platform type, or no such active county department (errors[] names the field)'])
  update(@CurrentActor() actor: Actor, @Param() p: CategoryCodeParam, @Body() dto: UpdateCategoryDto, @Req() req: Request): Promise<AdminCategoryView> {
    return this.categories.update(actor, p.code, dto, req.ip ?? null);
  }

  @Get('routing')
  @ApiOperation({ summary: 'The routing table (admin): each enabled category, its platform type and county department, and the townships lacking that platform' })
  @Returns(200, RoutingTableSchema, 'The table')
  @Problems(403)
  routing(@CurrentActor() actor: Actor): Promise<RoutingTable> {
    return this.categories.routing(actor);
  }
}
