import { Injectable } from '@nestjs/common';
import { DbService } from '../database/db.service.js';
import type { Sql } from '../database/db.service.js';

// The API shapes (libs/contracts): these queries select exactly their fields.
import type { LocatedRegion, RegionMap, RegionView } from '#contracts';
export type { LocatedRegion } from '#contracts';

/** Regions (行政区划/网格): the code prefix is the ancestry; geometry answers point-in-polygon. */
@Injectable()
export class RegionsRepository {
  constructor(private readonly db: DbService) {}

  /** The grid (and its village, township and county) containing a WGS84 point, within a county. */
  async locate(lng: number, lat: number, countyCode: string, sql: Sql = this.db): Promise<LocatedRegion | null> {
    const rows = await sql.query<LocatedRegion>(
      `SELECT g.code AS "gridCode", g.name AS "gridName", v.code AS "villageCode", v.name AS "villageName",
              t.code AS "townshipCode", t.name AS "townshipName", c.code AS "countyCode", c.name AS "countyName"
         FROM regions g
         JOIN regions v ON v.code = g.parent_code
         JOIN regions t ON t.code = v.parent_code
         JOIN regions c ON c.code = t.parent_code
        WHERE g.level = 'grid' AND g.code LIKE $3 || '%'
          AND ST_Intersects(g.geom, ST_SetSRID(ST_MakePoint($1, $2), 4326))
        ORDER BY g.code LIMIT 1`,
      [lng, lat, countyCode],
    );
    return rows[0] ?? null;
  }

  async get(code: string): Promise<RegionView | null> {
    const rows = await this.db.query<RegionView>(
      `SELECT code, name, level, parent_code AS "parentCode", synthetic FROM regions WHERE code = $1`, [code]);
    return rows[0] ?? null;
  }

  async children(parentCode: string): Promise<RegionView[]> {
    return this.db.query<RegionView>(
      `SELECT code, name, level, parent_code AS "parentCode", synthetic FROM regions WHERE parent_code = $1 ORDER BY code`,
      [parentCode]);
  }

  /**
   * Child polygons of a region as a GeoJSON FeatureCollection, with open/red/yellow/total event counts
   * per feature (the choropleth), for the regions under the caller's jurisdiction only.
   */
  async childrenGeoJson(parentCode: string, jurisdictionCode: string, simplify: number): Promise<RegionMap> {
    const rows = await this.db.query<{ fc: RegionMap }>(
      `WITH r AS (
         SELECT code, name, level, synthetic, geom FROM regions
          WHERE parent_code = $1 AND geom IS NOT NULL AND (code LIKE $2 || '%' OR $2 LIKE code || '%')
       ), counts AS (
         SELECT r.code,
                count(e.id) FILTER (WHERE e.status NOT IN ('closed','rejected','merged')) AS open,
                count(e.id) FILTER (WHERE e.warning = 'red' AND e.status NOT IN ('closed','rejected','merged')) AS red,
                count(e.id) FILTER (WHERE e.warning = 'yellow' AND e.status NOT IN ('closed','rejected','merged')) AS yellow,
                count(e.id) AS total
           FROM r LEFT JOIN events e ON e.region_code LIKE r.code || '%' AND e.region_code LIKE $2 || '%'
          GROUP BY r.code
       )
       SELECT json_build_object('type', 'FeatureCollection', 'features', coalesce(json_agg(json_build_object(
                'type', 'Feature',
                'geometry', ST_AsGeoJSON(ST_SimplifyPreserveTopology(r.geom, $3), 6)::json,
                'properties', json_build_object('code', r.code, 'name', r.name, 'level', r.level, 'synthetic', r.synthetic,
                   'open', counts.open, 'red', counts.red, 'yellow', counts.yellow, 'total', counts.total)
              ) ORDER BY r.code), '[]'::json)) AS fc
         FROM r JOIN counts USING (code)`,
      [parentCode, jurisdictionCode, simplify],
    );
    return rows[0]!.fc;
  }
}
