import { Injectable } from '@nestjs/common';
import { DbService } from '../database/db.service.js';
import type { Sql } from '../database/db.service.js';

// The API shapes (libs/contracts): these queries select exactly their fields.
import type { LocatedRegion, RegionView } from '#contracts';
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
}
