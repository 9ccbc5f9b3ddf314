import { Controller, Get, Query, UseGuards } from '@nestjs/common';
import { ApiBearerAuth, ApiOperation, ApiTags } from '@nestjs/swagger';
import { MAP_LEVELS, MapEventsSchema, MapHeatSchema, RegionMapSchema } from '#contracts';
import type { MapEvents, MapHeat, RegionMap } from '#contracts';
import { EVENT_STATUSES, WARNINGS } from '#domain';
import type { EventStatus, Warning } from '#domain';
import { AppConfig, MAP_ZOOM, MapService, Problem } from '#core';
import type { Actor, BBox } from '#core';
import { CurrentActor } from '../auth/auth.guard.js';
import { BBox as BBoxField, Code, CsvOf, DateOnly, DeclaredInputOnly, Enum, Int, oneOf } from '../common/fields.js';
import { Problems, Returns } from '../common/openapi.js';

/** The largest viewport side, in degrees (a county at zoom 8 on a wide screen is about 7°). */
const MAX_SPAN = 10;
/** …and at a zoom, no wider than a 4,096-pixel screen: 16 tiles of 360/2^zoom degrees. */
const spanAt = (zoom: number) => Math.min(MAX_SPAN, (16 * 360) / 2 ** zoom);
const CATEGORY = /^\d{2}(?:\d{2})?$/;

class MapWindowQuery {
  @Code(CATEGORY, { maxLength: 4, optional: true, query: true, description: '大类 (2 digits) or 小类 (4 digits).' }) categoryCode?: string;
  @DateOnly({ optional: true, query: true, description: 'First day reported (Asia/Shanghai), inclusive.' }) from?: string;
  @DateOnly({ optional: true, query: true, description: 'Last day reported (Asia/Shanghai), inclusive.' }) to?: string;
}

class MapViewQuery extends MapWindowQuery {
  @BBoxField({ query: true }) bbox: BBox;
  @Int({ min: MAP_ZOOM.min, max: MAP_ZOOM.max, query: true,
    description: `Web Mercator zoom. ≤ ${MAP_ZOOM.township}: township bubbles; ≤ ${MAP_ZOOM.village}: village bubbles; above: map cells, or single events when few.` }) zoom: number;
}

export class MapEventsQuery extends MapViewQuery {
  @CsvOf(oneOf(EVENT_STATUSES), { max: EVENT_STATUSES.length, optional: true, query: true, description: 'Statuses, comma-separated (default: the open ones).' }) status?: EventStatus[];
  @Enum(WARNINGS, { optional: true, query: true }) warning?: Warning;
}

export class MapHeatQuery extends MapViewQuery {}

export class MapRegionsQuery extends MapWindowQuery {
  @Code(/^\d{2,15}$/, { maxLength: 15, optional: true, query: true, description: 'The region whose children are drawn (default: the county, for townships).' }) parent?: string;
  @Enum(MAP_LEVELS, { optional: true, query: true, description: 'Level of the polygons (default township); village and grid need parent.' }) level?: 'township' | 'village' | 'grid';
}

/** What the field decorators cannot say alone: a window's order, a viewport's size. */
function checkWindow(q: MapWindowQuery): void {
  if (q.from && q.to && q.from > q.to) throw Problem.invalidField('from', `from (${q.from}) is after to (${q.to})`);
}
function checkView(q: MapViewQuery): void {
  checkWindow(q);
  const span = spanAt(q.zoom);
  if (q.bbox[2] - q.bbox[0] > span || q.bbox[3] - q.bbox[1] > span) {
    throw Problem.invalidField('bbox', `bbox spans more than ${span}° (a 4,096-pixel screen at zoom ${q.zoom}; at most ${MAX_SPAN}°)`);
  }
}

/** The map (地图): counts by the 141 hierarchy, by map cell, single events, heat, and the region choropleth. */
@ApiTags('map')
@ApiBearerAuth()
@UseGuards(DeclaredInputOnly)
@Controller('map')
export class MapController {
  constructor(private readonly config: AppConfig, private readonly map: MapService) {}

  @Get('events')
  @ApiOperation({ summary: 'Events in a viewport: township or village bubbles, map cells, or single events (GeoJSON), in the caller\'s jurisdiction' })
  @Returns(200, MapEventsSchema, 'A GeoJSON FeatureCollection of one kind of feature (see mode)')
  @Problems([422, 'from is after to, or the bbox is wider than a 4,096-pixel screen at the zoom (at most 10°) (errors[] names the field)'])
  async events(@CurrentActor() actor: Actor, @Query() q: MapEventsQuery): Promise<MapEvents> {
    checkView(q);
    return this.map.events(actor, q);
  }

  @Get('heat')
  @ApiOperation({ summary: 'Open events per map cell in a viewport, for a heatmap, in the caller\'s jurisdiction' })
  @Returns(200, MapHeatSchema, 'Weighted cells')
  @Problems([422, 'from is after to, or the bbox is wider than a 4,096-pixel screen at the zoom (at most 10°) (errors[] names the field)'])
  async heat(@CurrentActor() actor: Actor, @Query() q: MapHeatQuery): Promise<MapHeat> {
    checkView(q);
    return this.map.heat(actor, q);
  }

  /** Region polygons as GeoJSON with event counts (the choropleth and the offline base map). */
  @Get('regions')
  @ApiOperation({ summary: 'Child polygons of a region as GeoJSON, with event counts in the caller\'s jurisdiction' })
  @Returns(200, RegionMapSchema, 'A GeoJSON FeatureCollection')
  @Problems([422, 'from is after to (errors[] names from)'])
  async regions(@CurrentActor() actor: Actor, @Query() q: MapRegionsQuery): Promise<RegionMap> {
    const level = q.level ?? 'township';
    const parent = q.parent ?? (level === 'township' ? this.config.COUNTY_CODE : undefined);
    if (!parent) throw Problem.invalidField('parent', `parent is required for level ${level}`, 400);
    checkWindow(q);
    return this.map.regions(actor, parent, level, { categoryCode: q.categoryCode, from: q.from, to: q.to });
  }
}
