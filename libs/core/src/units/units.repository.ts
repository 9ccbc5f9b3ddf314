import { Injectable } from '@nestjs/common';
import { DbService } from '../database/db.service.js';
import type { Sql } from '../database/db.service.js';
import type { UnitEntity } from './unit.entity.js';


export type UnitRow = Pick<UnitEntity, 'code' | 'name' | 'type' | 'regionCode' | 'platformTypeCode' | 'departmentKind' | 'active'>;

const COLUMNS = `code, name, type, region_code AS "regionCode", platform_type_code AS "platformTypeCode",
  department_kind AS "departmentKind", active`;

/**
 * Units (处置单位). Code scheme: `<region code>-<kind>`: a township command room is `<township>-ZH`, its
 * platforms `-ZZ -JG -YJ -GF`, its stations `-PCS -SFS -SJS -ZFZD`; the county centre is `<county>-ZX` and
 * county departments `<county>-<department kind>` (e.g. `330523-ZF`).
 */
@Injectable()
export class UnitsRepository {
  constructor(private readonly db: DbService) {}

  async get(code: string, sql: Sql = this.db): Promise<UnitRow | null> {
    const rows = await sql.query<UnitRow>(`SELECT ${COLUMNS} FROM units WHERE code = $1`, [code]);
    return rows[0] ?? null;
  }

  async listByRegion(regionCode: string, exact: boolean): Promise<UnitRow[]> {
    return this.db.query<UnitRow>(
      `SELECT ${COLUMNS} FROM units WHERE active AND ${exact ? 'region_code = $1' : `region_code LIKE $1 || '%'`} ORDER BY code`,
      [regionCode]);
  }
}

export const townshipCentreCode = (townshipCode: string) => `${townshipCode}-ZH`;
export const countyCentreCode = (countyCode: string) => `${countyCode}-ZX`;
