import { Injectable } from '@nestjs/common';
import { PolygonIndex } from '#domain';
import type { MultiPolygonCoords } from '#domain';
import { AppConfig } from '../config/app-config.js';
import { DbService } from '../database/db.service.js';
import type { CategoryEntity } from '../categories/category.entity.js';
import type { RegionEntity } from '../regions/region.entity.js';
import type { UnitEntity } from '../units/unit.entity.js';

export interface RoutingSnapshot {
  /** settings_versions 'reference' at load: bumped by the demo seed and by region imports. */
  version: string;
  grids: PolygonIndex;
  categories: Map<string, { defaultUrgency: CategoryEntity['defaultUrgency']; platform: CategoryEntity['platformTypeCode'] }>;
  centres: Set<string>;
  /** `${township}|${platform}` → the township platform unit a category routes to. */
  platformUnits: Map<string, string>;
}

/**
 * The county's grids, categories and units held in memory for the report fast path. It is only ever a hint: the
 * insert statement re-checks the grid with PostGIS (ST_Intersects) and the reference version, and anything the
 * snapshot cannot answer, or answers stale, goes through the ordinary path that reads PostgreSQL.
 */
@Injectable()
export class RoutingCache {
  private snapshot: Promise<RoutingSnapshot> | null = null;
  /** The reference version of the loaded snapshot (null before it is loaded). */
  version: string | null = null;

  constructor(private readonly config: AppConfig, private readonly db: DbService) {}

  get(): Promise<RoutingSnapshot> {
    this.snapshot ??= this.load().catch((err) => { this.snapshot = null; throw err; });
    return this.snapshot;
  }

  invalidate(): void {
    this.snapshot = null;
    this.version = null;
  }

  private async load(): Promise<RoutingSnapshot> {
    const county = this.config.COUNTY_CODE;
    const [v] = await this.db.query<{ v: string }>(`SELECT version::text AS v FROM settings_versions WHERE name = 'reference'`);
    const grids = await this.db.query<Pick<RegionEntity, 'code'> & { coords: MultiPolygonCoords }>(
      `SELECT code, (ST_AsGeoJSON(ST_Multi(geom))::json)->'coordinates' AS coords FROM regions
        WHERE level = 'grid' AND code LIKE $1 || '%' AND geom IS NOT NULL ORDER BY code`, [county]);
    const categories = await this.db.query<Pick<CategoryEntity, 'code' | 'defaultUrgency'> & { platform: CategoryEntity['platformTypeCode'] }>(
      `SELECT code, default_urgency AS "defaultUrgency", platform_type_code AS platform FROM categories WHERE active AND is_event`);
    const units = await this.db.query<Pick<UnitEntity, 'code' | 'type'> & { region: UnitEntity['regionCode']; platform: UnitEntity['platformTypeCode'] }>(
      `SELECT code, type, region_code AS region, platform_type_code AS platform FROM units
        WHERE active AND region_code LIKE $1 || '%' AND type IN ('township_centre', 'township_platform') ORDER BY code`, [county]);
    const platformUnits = new Map<string, string>();
    for (const u of units) {
      if (u.type === 'township_platform' && u.platform && !platformUnits.has(`${u.region}|${u.platform}`)) platformUnits.set(`${u.region}|${u.platform}`, u.code);
    }
    this.version = v?.v ?? '0';
    return {
      version: this.version,
      grids: new PolygonIndex(grids.map((g) => ({ code: g.code, geom: g.coords }))),
      categories: new Map(categories.map((c) => [c.code, { defaultUrgency: c.defaultUrgency, platform: c.platform }])),
      centres: new Set(units.filter((u) => u.type === 'township_centre').map((u) => u.code)),
      platformUnits,
    };
  }
}
