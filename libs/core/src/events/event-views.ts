import { Injectable } from '@nestjs/common';
import { actionGrants, allowedActions } from '#domain';
import type { EventActionType, EventView, LiveEventView } from '#contracts';
import { EVENT_ACTION_TYPES } from '#contracts';
import type { Actor } from '../auth/actor.js';
import { AppConfig } from '../config/app-config.js';
import { DbService } from '../database/db.service.js';
import type { Sql } from '../database/db.service.js';
import { SETTINGS_VERSIONS_SQL, SlaService } from '../sla/sla.service.js';
import type { SlaSettings } from '../sla/sla.service.js';
import { toEventView, toWorkflowEvent } from './event.model.js';
import type { EventRow } from './event.model.js';

/** Names of the reference data a screen prints beside codes (categories, regions, units). */
interface ReferenceNames {
  version: string;
  categories: Map<string, { name: string; majorName: string | null }>;
  regions: Map<string, string>;
  units: Map<string, string>;
}

/** What one batch of views is computed with: the time-limit settings and the names, both at their current versions. */
interface ViewContext {
  settings: SlaSettings;
  names: ReferenceNames;
  /** Per event id: the reporter's display name and the events merged into it. */
  extras: Map<string, { reporterName: string | null; duplicates: { id: string; code: string }[]; mergedIntoCode: string | null }>;
}

const USER_ACTIONS = new Set<string>(EVENT_ACTION_TYPES);
const userActions = (types: readonly string[]) => types.filter((t): t is EventActionType => USER_ACTIONS.has(t));

const WALL_CLOCK = new Intl.DateTimeFormat('sv-SE', { timeZone: 'Asia/Shanghai', year: 'numeric', month: '2-digit', day: '2-digit',
  hour: '2-digit', minute: '2-digit', hourCycle: 'h23' });

/** What a caller already holds for a batch: settings and reference version read in the same request. */
export interface KnownContext {
  settings: SlaSettings;
  reference: string;
  /** The rows were inserted by this very request (a new report): no master, no duplicates yet. */
  fresh?: boolean;
}

const NAME_TTL_MS = 60_000;
const NAME_CACHE_MAX = 20_000;

/** An instant as wall-clock time in Asia/Shanghai, `YYYY-MM-DD HH:mm` (what a dispatcher reads on a due date). */
export const shanghaiWallClock = (d: Date) => WALL_CLOCK.format(d);

/**
 * Event views made for screens (事件视图): the stored row plus what a screen prints beside it — names of the category,
 * regions, units and reporter; the time left in the current stage and its due time on the wall clock; the master and
 * the duplicates of a merge; and who may act: `allowedActions` for one caller (HTTP answers) or `grants` for many
 * (live messages). Reference names are cached per reference version (bumped by every reference-data edit), so a
 * renamed unit shows its new name on the next read of any process.
 */
@Injectable()
export class EventViews {
  private names: Promise<ReferenceNames> | null = null;
  /** Users' display names (reporters), kept a minute: a renamed user shows the new name within that. */
  private readonly userNames = new Map<string, { name: string | null; until: number }>();

  constructor(private readonly config: AppConfig, private readonly db: DbService, private readonly sla: SlaService) {}

  /** Views for one caller (their allowedActions). */
  async forActor(actor: Actor, rows: readonly EventRow[], now = new Date(), sql: Sql = this.db, known?: KnownContext): Promise<EventView[]> {
    const ctx = await this.context(sql, rows, known);
    const who = { id: actor.id, role: actor.role, unitCode: actor.unitCode };
    return rows.map((row) => ({ ...this.core(ctx, row, now), allowedActions: userActions(allowedActions(toWorkflowEvent(row), who)) }));
  }

  /** Views for a live audience (grants, from which each screen picks its own actions with `actionsFor`). */
  async forLive(rows: readonly EventRow[], now = new Date(), sql: Sql = this.db): Promise<LiveEventView[]> {
    const ctx = await this.context(sql, rows);
    return rows.map((row) => ({
      ...this.core(ctx, row, now),
      grants: actionGrants(toWorkflowEvent(row))
        .map((g) => ({ role: g.role, unitCode: g.unitCode, reporter: g.reporter, actions: userActions(g.actions) }))
        .filter((g) => g.actions.length > 0),
    }));
  }

  private core(ctx: ViewContext, row: EventRow, now: Date): Omit<EventView, 'allowedActions'> {
    const { names } = ctx;
    const category = names.categories.get(row.categoryCode);
    const extra = ctx.extras.get(row.id);
    const unitName = (code: string | null) => (code === null ? null : names.units.get(code) ?? null);
    return {
      ...toEventView(row),
      remainingMinutes: this.sla.remainingWith(ctx.settings, row, now),
      categoryName: category?.name ?? row.categoryCode,
      categoryGroupName: category?.majorName ?? null,
      gridName: names.regions.get(row.gridCode) ?? null,
      villageName: names.regions.get(row.villageCode) ?? null,
      townshipName: names.regions.get(row.townshipCode) ?? null,
      ownerUnitName: unitName(row.ownerUnitCode),
      centreUnitName: unitName(row.centreUnitCode),
      handlerUnitName: unitName(row.handlerUnitCode),
      supportUnitNames: row.supportUnitCodes.map((c) => names.units.get(c) ?? c),
      reporterName: extra?.reporterName ?? null,
      mergedIntoCode: extra?.mergedIntoCode ?? null,
      duplicates: extra?.duplicates ?? [],
      stageDueLocal: row.stageDueAt ? shanghaiWallClock(row.stageDueAt) : null,
    };
  }

  /**
   * Settings and names at their current versions, and the per-event extras. A batch costs one query for the versions
   * (none when the caller knows them) and one for the extras, skipped for rows the request has just inserted whose
   * reporter's name is cached (the ingest path: a new event has no master and no duplicates yet; an old one may have
   * duplicates whatever its version, since a merge does not change the master).
   */
  private async context(sql: Sql, rows: readonly EventRow[], known?: KnownContext): Promise<ViewContext> {
    let settings = known?.settings;
    let reference = known?.reference;
    if (!settings || reference === undefined) {
      const [v] = await sql.query<{ calendarVersion: string; rulesVersion: string; referenceVersion: string }>(`SELECT ${SETTINGS_VERSIONS_SQL}`);
      settings = await this.sla.settings(sql, { calendar: v?.calendarVersion ?? '0', rules: v?.rulesVersion ?? '0' });
      reference = v?.referenceVersion ?? '0';
    }
    const names = await this.referenceNames(reference);
    const extras: ViewContext['extras'] = new Map();
    const clock = Date.now();
    const cachedName = (id: string | null) => {
      if (id === null) return { name: null };
      const hit = this.userNames.get(id);
      return hit && hit.until > clock ? hit : undefined;
    };
    const needQuery = rows.filter((r) => !known?.fresh || cachedName(r.reporterId) === undefined);
    for (const r of rows) {
      if (needQuery.includes(r)) continue;
      extras.set(r.id, { reporterName: cachedName(r.reporterId)!.name, duplicates: [], mergedIntoCode: null });
    }
    if (needQuery.length > 0) {
      const found = await sql.query<{ id: string; reporterName: string | null; mergedIntoCode: string | null; duplicates: { id: string; code: string }[] }>(
        `SELECT x.id, (SELECT display_name FROM users WHERE id = x.reporter) AS "reporterName",
                (SELECT code FROM events m WHERE m.id = x.master) AS "mergedIntoCode",
                coalesce((SELECT json_agg(json_build_object('id', d.id, 'code', d.code) ORDER BY d.created_at, d.id)
                            FROM events d WHERE d.merged_into_id = x.id), '[]'::json) AS duplicates
           FROM unnest($1::uuid[], $2::uuid[], $3::uuid[]) AS x(id, reporter, master)`,
        [needQuery.map((r) => r.id), needQuery.map((r) => r.reporterId), needQuery.map((r) => r.mergedIntoId)]);
      for (const f of found) extras.set(f.id, f);
      for (const r of needQuery) {
        if (r.reporterId === null) continue;
        if (this.userNames.size >= NAME_CACHE_MAX) this.userNames.clear();
        this.userNames.set(r.reporterId, { name: extras.get(r.id)?.reporterName ?? null, until: clock + NAME_TTL_MS });
      }
    }
    return { settings, names, extras };
  }

  private async referenceNames(version: string): Promise<ReferenceNames> {
    const current = this.names ? await this.names.catch(() => null) : null;
    if (current?.version === version) return current;
    this.names = this.loadNames(version).catch((err) => { this.names = null; throw err; });
    return this.names;
  }

  private async loadNames(version: string): Promise<ReferenceNames> {
    const [categories, regions, units] = await Promise.all([
      this.db.query<{ code: string; name: string; majorName: string | null }>(`SELECT code, name, major_name AS "majorName" FROM categories`),
      this.db.query<{ code: string; name: string }>(`SELECT code, name FROM regions WHERE code LIKE $1 || '%'`, [this.config.COUNTY_CODE]),
      this.db.query<{ code: string; name: string }>(`SELECT code, name FROM units WHERE region_code LIKE $1 || '%'`, [this.config.COUNTY_CODE]),
    ]);
    return {
      version,
      categories: new Map(categories.map((c) => [c.code, { name: c.name, majorName: c.majorName }])),
      regions: new Map(regions.map((r) => [r.code, r.name])),
      units: new Map(units.map((u) => [u.code, u.name])),
    };
  }
}
