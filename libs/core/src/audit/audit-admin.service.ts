import { Injectable } from '@nestjs/common';
import ExcelJS from 'exceljs';
import { AUDIT_RETENTION_DAYS } from '#contracts';
import type { AuditEntryView, AuditPage } from '#contracts';
import type { Actor } from '../auth/actor.js';
import { DbService } from '../database/db.service.js';
import { Problem } from '../problem/problem.js';
import { AuditService } from './audit.service.js';

export interface AuditFilter {
  /** Exact username of the actor. */
  username?: string;
  /** An action (`user.update`) or a family (`user`: every `user.*`). */
  action?: string;
  /** Exact target (a user id, a unit code, a category code …). */
  target?: string;
  outcome?: 'ok' | 'denied' | 'failed';
  /** Inclusive lower and exclusive upper bound of `at`. */
  from?: string;
  to?: string;
}

/** At most this many entries in one export (a narrower filter gets the rest). */
export const AUDIT_EXPORT_MAX = 50_000;

type Row = Omit<AuditEntryView, 'at'> & { at: Date };
const COLUMNS = `id::text AS id, at, actor_id::text AS "actorId", username, action, target, outcome, ip, detail`;
const toView = (r: Row): AuditEntryView => ({ ...r, at: r.at.toISOString() });

const CSV_HEADER = ['id', 'at', 'username', 'actorId', 'action', 'target', 'outcome', 'ip', 'detail'] as const;
const csvCell = (v: unknown) => {
  const s = v === null || v === undefined ? '' : typeof v === 'string' ? v : JSON.stringify(v);
  // a leading = + - @ would be a formula in a spreadsheet: quote it as text
  const safe = /^[=+\-@\t\r]/.test(s) ? `'${s}` : s;
  return /[",\r\n]/.test(safe) ? `"${safe.replace(/"/g, '""')}"` : safe;
};

/**
 * The audit log viewer (审计日志), admin only: filters (who, action, target, outcome, time range), newest first, keyset
 * pages by id; exports as xlsx or CSV (every export is itself audited). Nothing here deletes entries: the log is kept
 * at least {@link AUDIT_RETENTION_DAYS} days (等保 level 3: ≥ 6 months).
 */
@Injectable()
export class AuditAdminService {
  constructor(private readonly db: DbService, private readonly audit: AuditService) {}

  requireAdmin(actor: Actor): void {
    if (actor.role !== 'admin') throw Problem.forbidden('only an administrator may read the audit log');
  }

  private where(f: AuditFilter): { sql: string; params: unknown[] } {
    if (f.from && f.to && Date.parse(f.from) >= Date.parse(f.to)) throw Problem.invalidField('to', 'must be after from');
    return {
      sql: `($1::text IS NULL OR username = $1) AND ($2::text IS NULL OR action = $2 OR action LIKE $2 || '.%')
        AND ($3::text IS NULL OR target = $3) AND ($4::text IS NULL OR outcome = $4)
        AND ($5::timestamptz IS NULL OR at >= $5) AND ($6::timestamptz IS NULL OR at < $6)`,
      params: [f.username ?? null, f.action ?? null, f.target ?? null, f.outcome ?? null, f.from ?? null, f.to ?? null],
    };
  }

  /** A page of entries, newest first; `before` is the `next` of the previous page. */
  async page(actor: Actor, f: AuditFilter, before: string | undefined, limit: number): Promise<AuditPage> {
    this.requireAdmin(actor);
    const w = this.where(f);
    const rows = await this.db.query<Row>(
      `SELECT ${COLUMNS} FROM audit_log WHERE ${w.sql} AND ($7::bigint IS NULL OR id < $7) ORDER BY audit_log.id DESC LIMIT $8`,
      [...w.params, before ?? null, limit + 1]);
    const more = rows.length > limit;
    const items = rows.slice(0, limit).map(toView);
    return { items, next: more ? items[items.length - 1]!.id : null, retentionDays: AUDIT_RETENTION_DAYS };
  }

  /** The entries matching the filters (newest first, at most {@link AUDIT_EXPORT_MAX}) as xlsx or CSV; the export is audited. */
  async export(actor: Actor, f: AuditFilter, format: 'xlsx' | 'csv', ip: string | null): Promise<{ mime: string; data: Buffer; rows: number }> {
    this.requireAdmin(actor);
    const w = this.where(f);
    const rows = (await this.db.query<Row>(`SELECT ${COLUMNS} FROM audit_log WHERE ${w.sql} ORDER BY audit_log.id DESC LIMIT ${AUDIT_EXPORT_MAX}`, w.params)).map(toView);
    let data: Buffer;
    let mime: string;
    if (format === 'csv') {
      const lines = [CSV_HEADER.join(','), ...rows.map((r) => CSV_HEADER.map((k) => csvCell(r[k])).join(','))];
      // a BOM so that Excel opens UTF-8 (Chinese) correctly
      data = Buffer.from(`\uFEFF${lines.join('\r\n')}\r\n`, 'utf8');
      mime = 'text/csv; charset=utf-8';
    } else {
      const wb = new ExcelJS.Workbook();
      const sheet = wb.addWorksheet('审计日志');
      sheet.addRow(['编号', '时间', '用户名', '用户ID', '操作', '对象', '结果', 'IP', '详情']);
      for (const r of rows) sheet.addRow([r.id, r.at, r.username, r.actorId, r.action, r.target, r.outcome, r.ip, JSON.stringify(r.detail)]);
      data = Buffer.from(await wb.xlsx.writeBuffer());
      mime = 'application/vnd.openxmlformats-officedocument.spreadsheetml.sheet';
    }
    await this.audit.record({ actorId: actor.id, username: actor.username, action: 'audit.export', outcome: 'ok', ip,
      detail: { format, rows: rows.length, filters: Object.fromEntries(Object.entries(f).filter(([, v]) => v !== undefined)) } });
    return { mime, data, rows: rows.length };
  }
}
