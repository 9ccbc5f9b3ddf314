import { Controller, Get, Query } from '@nestjs/common';
import { ApiBearerAuth, ApiTags } from '@nestjs/swagger';
import { Type } from 'class-transformer';
import { IsIn, IsNumber, IsOptional, Matches, Max, Min } from 'class-validator';
import { gcj02ToWgs84 } from '#domain';
import { AppConfig, CategoriesRepository, Problem, RegionsRepository, UnitsRepository } from '#core';
import type { Actor } from '#core';
import { CurrentActor } from '../auth/auth.guard.js';

export class LocateQuery {
  @Type(() => Number) @IsNumber({ allowNaN: false, allowInfinity: false }) @Min(-180) @Max(180) lng: number;
  @Type(() => Number) @IsNumber({ allowNaN: false, allowInfinity: false }) @Min(-90) @Max(90) lat: number;
  @IsOptional() @IsIn(['wgs84', 'gcj02']) crs?: 'wgs84' | 'gcj02';
}

export class MapRegionsQuery {
  @IsOptional() @Matches(/^\d{2,15}$/) parent?: string;
  @IsOptional() @IsIn(['township', 'village', 'grid']) level?: string;
}

export class RegionsQuery {
  @IsOptional() @Matches(/^\d{2,15}$/) parent?: string;
}

export class UnitsQuery {
  @IsOptional() @Matches(/^\d{6,15}$/) regionCode?: string;
}

@ApiTags('regions')
@ApiBearerAuth()
@Controller()
export class RegionsController {
  constructor(private readonly config: AppConfig, private readonly regions: RegionsRepository, private readonly units: UnitsRepository,
    private readonly categories: CategoriesRepository) {}

  @Get('regions/locate')
  async locate(@Query() q: LocateQuery) {
    const [lng, lat] = q.crs === 'gcj02' ? gcj02ToWgs84(q.lng, q.lat) : [q.lng, q.lat];
    const place = await this.regions.locate(lng, lat, this.config.COUNTY_CODE);
    if (!place) throw Problem.invalidField('lng', `point (${lng}, ${lat}) is outside county ${this.config.COUNTY_CODE}`);
    return place;
  }

  /** The region tree one level at a time: children of `parent` (default: the deployment's county). */
  @Get('regions')
  async list(@Query() q: RegionsQuery) {
    const parent = q.parent ?? this.config.COUNTY_CODE;
    return { parent: await this.regions.get(parent), items: await this.regions.children(parent) };
  }

  /** Region polygons as GeoJSON with event counts (the choropleth and the offline base map). */
  @Get('map/regions')
  async map(@CurrentActor() actor: Actor, @Query() q: MapRegionsQuery) {
    const level = q.level ?? 'township';
    const parent = q.parent ?? (level === 'township' ? this.config.COUNTY_CODE : undefined);
    if (!parent) throw Problem.invalidField('parent', `parent is required for level ${level}`, 400);
    const simplify = level === 'township' ? 0.0002 : level === 'village' ? 0.0001 : 0.00005;
    return this.regions.childrenGeoJson(parent, actor.jurisdictionCode, simplify);
  }

  @Get('units')
  async unitList(@CurrentActor() actor: Actor, @Query() q: UnitsQuery) {
    return { items: await this.units.listByRegion(q.regionCode ?? actor.jurisdictionCode.slice(0, 9), q.regionCode !== undefined && q.regionCode.length === 6) };
  }

  @Get('categories')
  async categoryList() {
    return { items: await this.categories.list() };
  }
}
