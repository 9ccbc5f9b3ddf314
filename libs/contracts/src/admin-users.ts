/** Admin: people (用户管理) — accounts, personal data (masked), roster import/export (花名册). */
import { Type } from '@sinclair/typebox';
import type { Static } from '@sinclair/typebox';
import { ROLES } from '#domain';
import { DateTime, Nullable, Shape, StringEnum, Uuid } from './schema.js';
import { FieldProblemSchema } from './problem.js';

export const UserAdminViewSchema = Shape('UserAdminView', {
  id: Uuid(),
  username: Type.String(),
  displayName: Type.String(),
  role: StringEnum(ROLES),
  unitCode: Nullable(Type.String()),
  jurisdictionCode: Type.String({ description: 'Region-code prefix of everything the user may see.' }),
  disabled: Type.Boolean(),
  mustChangePassword: Type.Boolean({ description: 'An administrator reset the password: the user must choose a new one at next login.' }),
  lockedUntil: Nullable(DateTime('Set while too many failed logins lock the account.')),
  phone: Nullable(Type.String({ description: 'Masked: 138****5678 (the clear value only through personal-data, with a reason).' })),
  idNumber: Nullable(Type.String({ description: 'Masked: 330523********1234.' })),
  zwddAccountId: Nullable(Type.String({ description: '浙政钉 accountId bound to the account (免登 finds the user by it); null: none.' })),
  createdAt: DateTime(),
});
export type UserAdminView = Static<typeof UserAdminViewSchema>;

export const UserAdminListSchema = Shape('UserAdminList', {
  items: Type.Array(UserAdminViewSchema),
  total: Type.Integer({ minimum: 0, description: 'Users matching the filters (items holds at most `limit` of them).' }),
});
export type UserAdminList = Static<typeof UserAdminListSchema>;

export const UserCreatedSchema = Shape('UserCreated', {
  user: UserAdminViewSchema,
  temporaryPassword: Type.String({ description: 'Shown once: the user must change it at first login.' }),
});
export type UserCreated = Static<typeof UserCreatedSchema>;

export const PasswordResetSchema = Shape('PasswordReset', {
  userId: Uuid(),
  username: Type.String(),
  temporaryPassword: Type.String({ description: 'Shown once: the user must change it at next login. Every session of the user has ended.' }),
});
export type PasswordReset = Static<typeof PasswordResetSchema>;

export const PersonalDataViewSchema = Shape('PersonalDataView', {
  id: Uuid(),
  phone: Nullable(Type.String({ description: 'In clear: this view is written to the audit log with its reason.' })),
  idNumber: Nullable(Type.String()),
});
export type PersonalDataView = Static<typeof PersonalDataViewSchema>;

/** 角色 column of a roster → role. 专职/兼职网格员 and 网格长 are grid workers of one grid (the workflow has no grid-head role yet). */
export const ROSTER_ROLES = {
  网格员: 'grid_worker', 专职网格员: 'grid_worker', 兼职网格员: 'grid_worker', 网格长: 'grid_worker',
  乡镇调度员: 'township_dispatcher', 处置人员: 'handler', 县中心坐席: 'county_operator', 县领导: 'county_leader', 系统管理员: 'admin',
} as const;
/** role → the 角色 an export writes. */
export const ROSTER_ROLE_NAMES = {
  grid_worker: '网格员', township_dispatcher: '乡镇调度员', handler: '处置人员', county_operator: '县中心坐席', county_leader: '县领导', admin: '系统管理员',
} as const;
/** The roster's columns, in order (a header row names them; other columns are ignored on import). */
export const ROSTER_COLUMNS = ['姓名', '手机号', '身份证号', '所属网格/单位', '角色'] as const;
/** An optional roster column: the person's 浙政钉 accountId (a blank cell leaves the account's as it is). */
export const ROSTER_ZWDD_COLUMN = '浙政钉账号';
/** What a 浙政钉 accountId may look like (the directory's ids are digits; letters, `_ . : @ -` are allowed for other tenants' schemes). */
export const ZWDD_ACCOUNT_ID = /^[A-Za-z0-9][A-Za-z0-9_.:@-]{0,63}$/;

export const RosterRowResultSchema = Type.Object({
  row: Type.Integer({ minimum: 2, description: 'Spreadsheet row number (the header is row 1).' }),
  action: StringEnum(['create', 'update', 'unchanged', 'invalid'] as const),
  username: Nullable(Type.String({ description: 'The existing or the new account (null when the row is invalid).' })),
  problems: Type.Array(FieldProblemSchema, { description: 'field: the column (姓名, 手机号 …).' }),
}, { additionalProperties: false });

export const RosterCredentialSchema = Type.Object({
  row: Type.Integer({ minimum: 2 }),
  username: Type.String(),
  temporaryPassword: Type.String(),
}, { additionalProperties: false });

export const RosterImportResultSchema = Shape('RosterImportResult', {
  dryRun: Type.Boolean(),
  valid: Type.Boolean({ description: 'Every row is valid: an import without dryRun writes (all rows, one transaction).' }),
  written: Type.Boolean({ description: 'The roster was written (never on a dry run or when a row is invalid).' }),
  rows: Type.Integer({ minimum: 0 }),
  created: Type.Integer({ minimum: 0 }),
  updated: Type.Integer({ minimum: 0 }),
  unchanged: Type.Integer({ minimum: 0 }),
  invalid: Type.Integer({ minimum: 0 }),
  results: Type.Array(RosterRowResultSchema, { description: 'Every data row, in file order.' }),
  credentials: Type.Array(RosterCredentialSchema, {
    description: 'Initial passwords of the accounts created (shown once; each must be changed at first login). Empty on a dry run.' }),
});
export type RosterImportResult = Static<typeof RosterImportResultSchema>;
export type RosterRowResult = Static<typeof RosterRowResultSchema>;
