/** Units (处置单位) and categories (事件分类): reference data for forms and dispatch. */
import { Type } from '@sinclair/typebox';
import type { Static } from '@sinclair/typebox';
import { Nullable, Shape, StringEnum } from './schema.js';
import { URGENCIES } from './events.js';

export const UNIT_TYPES = ['county_centre', 'county_department', 'township_centre', 'township_platform', 'township_station', 'grid_team'] as const;

export const UnitViewSchema = Shape('UnitView', {
  code: Type.String({ description: '`<region code>-<kind>`, e.g. `330523001-JG`, `330523-ZF`.' }),
  name: Type.String(),
  type: StringEnum(UNIT_TYPES),
  regionCode: Type.String(),
  platformTypeCode: Nullable(Type.String({ description: 'Township platform (ZZ, JG, YJ, GF, DZ) of a township_platform unit.' })),
  departmentKind: Nullable(Type.String({ description: 'County department kind (GA, ZF, …).' })),
  active: Type.Boolean(),
});
export type UnitView = Static<typeof UnitViewSchema>;

export const UnitListSchema = Shape('UnitList', { items: Type.Array(UnitViewSchema) });
export type UnitList = Static<typeof UnitListSchema>;

export const CategoryViewSchema = Shape('CategoryView', {
  code: Type.String({ description: '大类 (2 digits) + 小类 (2 digits).' }),
  name: Type.String(),
  majorCode: Type.String(),
  majorName: Type.String(),
  platformTypeCode: Nullable(Type.String({ description: 'The township platform the category routes to by default.' })),
  countyDepartment: Nullable(Type.String({ description: 'The county lead department.' })),
  defaultUrgency: StringEnum(URGENCIES),
  isEvent: Type.Boolean({ description: 'false: an information-collection category (信息采集), not reportable as an event.' }),
});
export type CategoryView = Static<typeof CategoryViewSchema>;

export const CategoryListSchema = Shape('CategoryList', { items: Type.Array(CategoryViewSchema) });
export type CategoryList = Static<typeof CategoryListSchema>;
