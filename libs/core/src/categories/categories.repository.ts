import { Injectable } from '@nestjs/common';
import { DbService } from '../database/db.service.js';
import type { CategoryEntity } from './category.entity.js';

export type CategoryRow = Pick<CategoryEntity, 'code' | 'name' | 'majorCode' | 'majorName' | 'platformTypeCode' | 'countyDepartment'
  | 'defaultUrgency' | 'isEvent'>;

/** Categories (事件分类): data, with each 小类's default township platform and county lead department. */
@Injectable()
export class CategoriesRepository {
  constructor(private readonly db: DbService) {}

  async list(): Promise<CategoryRow[]> {
    return this.db.query<CategoryRow>(
      `SELECT code, name, major_code AS "majorCode", major_name AS "majorName", platform_type_code AS "platformTypeCode",
              county_department AS "countyDepartment", default_urgency AS "defaultUrgency", is_event AS "isEvent"
         FROM categories WHERE active ORDER BY sort, code`);
  }
}
