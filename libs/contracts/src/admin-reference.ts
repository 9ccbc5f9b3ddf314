/** Admin: units (处置单位), platform types (四平台), categories and their routing, grids and their workers. */
import { Type } from '@sinclair/typebox';
import type { Static } from '@sinclair/typebox';
import { Closed, Nullable, Shape, StringEnum, Uuid } from './schema.js';
import { URGENCIES } from './events.js';
import { UNIT_TYPES } from './units.js';

/** The unit types an administrator creates and retires (command rooms, the county centre and grid teams follow the regions). */
export const MANAGED_UNIT_TYPES = ['county_department', 'township_platform', 'township_station'] as const;

export const AdminUnitViewSchema = Shape('AdminUnitView', {
  code: Type.String({ description: '`<region code>-<kind>`: `330523-ZF`, `330523001-JG`, `330523001-PCS`.' }),
  name: Type.String(),
  type: StringEnum(UNIT_TYPES),
  regionCode: Type.String(),
  regionName: Nullable(Type.String()),
  platformTypeCode: Nullable(Type.String({ description: 'The platform type of a township_platform unit (routing: a category\'s platform type → this unit in its township).' })),
  departmentKind: Nullable(Type.String({ description: 'The kind of a county department or station (GA, ZF, PCS …): the code suffix.' })),
  parentUnitCode: Nullable(Type.String()),
  active: Type.Boolean({ description: 'false: retired (no new users, no new dispatches; history keeps it).' }),
  users: Type.Integer({ minimum: 0, description: 'Enabled accounts in the unit.' }),
  openEvents: Type.Integer({ minimum: 0, description: 'Open events the unit owns.' }),
});
export type AdminUnitView = Static<typeof AdminUnitViewSchema>;

export const AdminUnitListSchema = Shape('AdminUnitList', {
  items: Type.Array(AdminUnitViewSchema),
  total: Type.Integer({ minimum: 0 }),
});
export type AdminUnitList = Static<typeof AdminUnitListSchema>;

export const PlatformTypeViewSchema = Shape('PlatformTypeView', {
  code: Type.String({ description: 'ZZ, JG, YJ, GF, DZ … (the set is data: a county on the pre-2021 scheme defines its own).' }),
  name: Type.String(),
  scheme: Type.String(),
  sort: Type.Integer(),
  active: Type.Boolean(),
  categories: Type.Integer({ minimum: 0, description: 'Enabled categories routed to this platform type.' }),
  units: Type.Integer({ minimum: 0, description: 'Active township platforms of this type.' }),
});
export type PlatformTypeView = Static<typeof PlatformTypeViewSchema>;

export const PlatformTypeListSchema = Shape('PlatformTypeList', { items: Type.Array(PlatformTypeViewSchema) });
export type PlatformTypeList = Static<typeof PlatformTypeListSchema>;

export const AdminCategoryViewSchema = Shape('AdminCategoryView', {
  code: Type.String(),
  name: Type.String(),
  majorCode: Type.String(),
  majorName: Type.String(),
  platformTypeCode: Nullable(Type.String({ description: 'Default township platform type (routing).' })),
  countyDepartment: Nullable(Type.String({ description: 'County lead department kind (the unit `<county>-<kind>`).' })),
  defaultUrgency: StringEnum(URGENCIES),
  isEvent: Type.Boolean(),
  active: Type.Boolean({ description: 'false: disabled (not offered for new reports; existing events keep it).' }),
  sort: Type.Integer(),
  reportToProvince: Type.Boolean({ description: '上报省平台: its events are reported to the provincial platform with every status change.' }),
});
export type AdminCategoryView = Static<typeof AdminCategoryViewSchema>;

export const AdminCategoryListSchema = Shape('AdminCategoryList', { items: Type.Array(AdminCategoryViewSchema) });
export type AdminCategoryList = Static<typeof AdminCategoryListSchema>;

/** The routing table: each enabled category, the platform type it goes to, and the townships where no active unit of that type exists. */
export const RoutingRowSchema = Closed({
  categoryCode: Type.String(),
  categoryName: Type.String(),
  platformTypeCode: Nullable(Type.String()),
  platformTypeName: Nullable(Type.String()),
  countyDepartment: Nullable(Type.String()),
  countyDepartmentUnit: Nullable(Type.String({ description: 'The active county department unit of that kind, or null when there is none.' })),
  townshipsWithoutPlatform: Type.Array(Type.String(), { description: 'Townships with no active platform of the type: events there stay with the command room.' }),
});
export const RoutingTableSchema = Shape('RoutingTable', {
  townships: Type.Integer({ minimum: 0 }),
  rows: Type.Array(RoutingRowSchema),
});
export type RoutingTable = Static<typeof RoutingTableSchema>;

export const GridWorkerRefSchema = Closed({ id: Uuid(), username: Type.String(), displayName: Type.String(), disabled: Type.Boolean() });

export const AdminGridViewSchema = Shape('AdminGridView', {
  code: Type.String({ description: '15 digits: village code + 3.' }),
  name: Type.String(),
  villageCode: Type.String(),
  villageName: Nullable(Type.String()),
  townshipCode: Type.String(),
  townshipName: Nullable(Type.String()),
  synthetic: Type.Boolean(),
  teamUnit: Nullable(Type.String({ description: 'The grid team unit `<grid>-WG` (null until it exists).' })),
  workers: Type.Array(GridWorkerRefSchema, { description: 'Enabled grid workers whose jurisdiction is this grid.' }),
});
export type AdminGridView = Static<typeof AdminGridViewSchema>;

export const AdminGridListSchema = Shape('AdminGridList', {
  items: Type.Array(AdminGridViewSchema),
  total: Type.Integer({ minimum: 0 }),
  uncovered: Type.Integer({ minimum: 0, description: 'Grids (within the township filter) without an enabled grid worker.' }),
});
export type AdminGridList = Static<typeof AdminGridListSchema>;
