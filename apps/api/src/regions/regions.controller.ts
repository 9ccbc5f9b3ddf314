import { Controller, Get, Query, UseGuards } from '@nestjs/common';
import { ApiBearerAuth, ApiOperation, ApiTags } from '@nestjs/swagger';
import { CalendarDayListSchema, CategoryListSchema, CRS_VALUES, LocatedRegionSchema, RegionTreeSchema, UnitListSchema } from '#contracts';
import type { CalendarDayList, CategoryList, LocatedRegion, RegionTree, UnitList } from '#contracts';
import { gcj02ToWgs84 } from '#domain';
import { AppConfig, CategoriesRepository, Problem, RegionsRepository, SlaAdminService, UnitsRepository } from '#core';
import type { Actor } from '#core';
import { CurrentActor } from '../auth/auth.guard.js';
import { Code, DeclaredInputOnly, Enum, Int, Num } from '../common/fields.js';
import { Problems, Returns } from '../common/openapi.js';

export class LocateQuery {
  @Num({ min: -180, max: 180, query: true, description: 'Longitude' }) lng: number;
  @Num({ min: -90, max: 90, query: true, description: 'Latitude' }) lat: number;
  @Enum(CRS_VALUES, { optional: true, query: true, description: 'Datum of the point (default wgs84).' }) crs?: 'wgs84' | 'gcj02';
}

export class RegionsQuery {
  @Code(/^\d{2,15}$/, { maxLength: 15, optional: true, query: true, description: 'Default: the deployment\'s county.' }) parent?: string;
}

export class WorkCalendarQuery {
  @Int({ min: 2000, max: 2100, optional: true, query: true, description: 'Only this year (default: every day in the calendar).' }) year?: number;
}

export class UnitsQuery {
  @Code(/^\d{6,15}$/, { maxLength: 15, optional: true, query: true,
    description: 'Units of this region and below (a county code: the county\'s own units only). Default: the caller\'s township.' }) regionCode?: string;
}

@ApiTags('regions')
@ApiBearerAuth()
@UseGuards(DeclaredInputOnly)
@Controller()
export class RegionsController {
  constructor(private readonly config: AppConfig, private readonly regions: RegionsRepository, private readonly units: UnitsRepository,
    private readonly categories: CategoriesRepository, private readonly sla: SlaAdminService) {}

  @Get('regions/locate')
  @ApiOperation({ summary: 'The grid (网格), village, township and county holding a point' })
  @Returns(200, LocatedRegionSchema, 'The grid and its ancestors')
  @Problems([422, 'The point is outside the county (errors[] names lng)'])
  async locate(@Query() q: LocateQuery): Promise<LocatedRegion> {
    const [lng, lat] = q.crs === 'gcj02' ? gcj02ToWgs84(q.lng, q.lat) : [q.lng, q.lat];
    const place = await this.regions.locate(lng, lat, this.config.COUNTY_CODE);
    if (!place) throw Problem.invalidField('lng', `point (${lng}, ${lat}) is outside county ${this.config.COUNTY_CODE}`);
    return place;
  }

  /** The region tree one level at a time: children of `parent` (default: the deployment's county). */
  @Get('regions')
  @ApiOperation({ summary: 'The region tree one level at a time: a region and its children' })
  @Returns(200, RegionTreeSchema, 'The parent (null when unknown) and its children')
  async list(@Query() q: RegionsQuery): Promise<RegionTree> {
    const parent = q.parent ?? this.config.COUNTY_CODE;
    return { parent: await this.regions.get(parent), items: await this.regions.children(parent) };
  }

  @Get('units')
  @ApiOperation({ summary: 'Active units (处置单位) of a region' })
  @Returns(200, UnitListSchema, 'The units, by code')
  async unitList(@CurrentActor() actor: Actor, @Query() q: UnitsQuery): Promise<UnitList> {
    return { items: await this.units.listByRegion(q.regionCode ?? actor.jurisdictionCode.slice(0, 9), q.regionCode !== undefined && q.regionCode.length === 6) };
  }

  @Get('categories')
  @ApiOperation({ summary: 'Active categories (事件分类)' })
  @Returns(200, CategoryListSchema, 'The categories in display order')
  async categoryList(): Promise<CategoryList> {
    return { items: await this.categories.list() };
  }

  @Get('calendar')
  @ApiOperation({ summary: 'The working calendar: statutory holidays and 调休 working days (weekdays work, weekends do not, unless listed)' })
  @Returns(200, CalendarDayListSchema, 'The days, in date order')
  async workCalendar(@Query() q: WorkCalendarQuery): Promise<CalendarDayList> {
    return { items: await this.sla.calendarDays(q.year) };
  }
}
