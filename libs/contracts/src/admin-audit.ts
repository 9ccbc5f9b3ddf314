/** Admin: the audit log viewer (审计日志). */
import { Type } from '@sinclair/typebox';
import type { Static } from '@sinclair/typebox';
import { DateTime, Nullable, Shape, StringEnum } from './schema.js';

export const AUDIT_OUTCOMES = ['ok', 'denied', 'failed'] as const;
/** Entries younger than this are never deleted (等保 level 3: at least 6 months). */
export const AUDIT_RETENTION_DAYS = 183;

export const AuditEntryViewSchema = Shape('AuditEntryView', {
  id: Type.String({ description: 'Increasing; the keyset cursor.' }),
  at: DateTime(),
  actorId: Nullable(Type.String()),
  username: Nullable(Type.String()),
  action: Type.String({ description: 'login, user.update, roster.export, unit.create, audit.export …' }),
  target: Nullable(Type.String()),
  outcome: StringEnum(AUDIT_OUTCOMES),
  ip: Nullable(Type.String()),
  detail: Type.Record(Type.String(), Type.Unknown(), { description: 'before/after of a change (personal data masked), reason of an unmasked view …' }),
});
export type AuditEntryView = Static<typeof AuditEntryViewSchema>;

export const AuditPageSchema = Shape('AuditPage', {
  items: Type.Array(AuditEntryViewSchema),
  next: Nullable(Type.String({ description: 'Pass as `before` for the next (older) page; null at the end.' })),
  retentionDays: Type.Integer({ description: 'Entries are kept at least this long.' }),
});
export type AuditPage = Static<typeof AuditPageSchema>;
