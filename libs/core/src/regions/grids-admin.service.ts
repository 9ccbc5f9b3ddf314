import { Injectable } from '@nestjs/common';
import type { AdminGridList, UserAdminView } from '#contracts';
import { AppConfig } from '../config/app-config.js';
import { AuditService } from '../audit/audit.service.js';
import type { Actor } from '../auth/actor.js';
import { DbService } from '../database/db.service.js';
import type { Sql } from '../database/db.service.js';
import { Problem } from '../problem/problem.js';
import { bumpReferenceVersion } from '../seed/demo-seed.js';
import { UserAdminService } from '../users/user-admin.service.js';

export interface GridFilter {
  /** Region-code prefix (a township or village). */
  region?: string;
  /** Only grids without an enabled grid worker. */
  uncovered?: boolean;
  q?: string;
  limit: number;
  offset: number;
}

const likeEscape = (s: string) => s.replace(/[\\%_]/g, (c) => `\\${c}`);

/** The grid team unit of a grid (网格 team): grid workers belong to it. */
export const gridTeamCode = (grid: string) => `${grid}-WG`;

/**
 * Grids (网格) and their workers, admin only: which grid workers cover each grid, which grids have none, and placing a
 * grid worker on a grid (their jurisdiction becomes the grid, their unit its team; audited as a user change with
 * before/after). A grid imported without a team gets one when a worker is first placed there.
 */
@Injectable()
export class GridsAdminService {
  constructor(private readonly db: DbService, private readonly users: UserAdminService, private readonly config: AppConfig,
    private readonly audit: AuditService) {}

  async list(actor: Actor, f: GridFilter): Promise<AdminGridList> {
    this.users.requireAdmin(actor);
    const covered = `EXISTS (SELECT 1 FROM users w WHERE w.jurisdiction_code = g.code AND w.role = 'grid_worker' AND NOT w.disabled)`;
    const base = `g.level = 'grid' AND g.code LIKE $1 || '%' AND (g.valid_to IS NULL OR g.valid_to > now())
      AND ($2::text IS NULL OR g.code LIKE $2 || '%' OR g.name ILIKE '%' || $2 || '%')`;
    const where = `${base} AND ($3::boolean IS NOT TRUE OR NOT ${covered})`;
    const region = f.region ?? this.config.COUNTY_CODE;
    if (!region.startsWith(this.config.COUNTY_CODE)) return { items: [], total: 0, uncovered: 0 };
    const params = [region, f.q === undefined ? null : likeEscape(f.q.trim()), f.uncovered ?? null];
    const [items, [count]] = await Promise.all([
      this.db.query<AdminGridList['items'][number]>(
        `SELECT g.code, g.name, v.code AS "villageCode", v.name AS "villageName", t.code AS "townshipCode", t.name AS "townshipName", g.synthetic,
                (SELECT u.code FROM units u WHERE u.code = g.code || '-WG') AS "teamUnit",
                coalesce((SELECT json_agg(json_build_object('id', w.id, 'username', w.username, 'displayName', w.display_name, 'disabled', w.disabled)
                                          ORDER BY w.username)
                            FROM users w WHERE w.jurisdiction_code = g.code AND w.role = 'grid_worker' AND NOT w.disabled), '[]'::json) AS workers
           FROM regions g
           JOIN regions v ON v.code = left(g.code, 12)
           JOIN regions t ON t.code = left(g.code, 9)
          WHERE ${where} ORDER BY g.code LIMIT $4 OFFSET $5`, [...params, f.limit, f.offset]),
      this.db.query<{ n: number; uncovered: number }>(
        `SELECT count(*) FILTER (WHERE $3::boolean IS NOT TRUE OR NOT ${covered})::int AS n,
                count(*) FILTER (WHERE NOT ${covered})::int AS uncovered
           FROM regions g WHERE ${base}`, params),
    ]);
    return { items, total: count!.n, uncovered: count!.uncovered };
  }

  /** Places a grid worker on a grid (jurisdiction: the grid; unit: its team, created if missing). */
  async assign(actor: Actor, gridCode: string, userId: string, ip: string | null): Promise<UserAdminView> {
    this.users.requireAdmin(actor);
    await this.db.tx(async (sql) => {
      const [grid] = await sql.query<{ name: string; township: string }>(
        `SELECT name, left(code, 9) AS township FROM regions WHERE code = $1 AND level = 'grid' AND code LIKE $2 || '%'
            AND (valid_to IS NULL OR valid_to > now())`, [gridCode, this.config.COUNTY_CODE]);
      if (!grid) throw Problem.notFound(`grid ${gridCode}`);
      const [user] = await sql.query<{ role: string }>(`SELECT role FROM users WHERE id = $1`, [userId]);
      if (!user) throw Problem.invalidField('userId', `no user ${userId}`);
      if (user.role !== 'grid_worker') throw Problem.invalidField('userId', 'only a grid worker is placed on a grid (change the role on the people page)');
      await this.ensureTeam(sql, actor, gridCode, grid.name, grid.township, ip);
    });
    return this.users.update(actor, userId, { jurisdictionCode: gridCode, unitCode: gridTeamCode(gridCode) }, ip);
  }

  /** The grid team `<grid>-WG` (active), created when missing. */
  async ensureTeam(sql: Sql, actor: Actor, gridCode: string, gridName: string, township: string, ip: string | null): Promise<boolean> {
    const created = await sql.query(
      `INSERT INTO units (code, name, type, region_code, department_kind, parent_unit_code)
       VALUES ($1, $2, 'grid_team', $3, 'WG', (SELECT code FROM units WHERE code = $4 AND active))
       ON CONFLICT (code) DO UPDATE SET active = true WHERE NOT units.active RETURNING 1`,
      [gridTeamCode(gridCode), `${gridName}网格`.replace(/网格网格$/, '网格'), gridCode, `${township}-ZH`]);
    if (created.length > 0) {
      await bumpReferenceVersion(sql);
      await this.audit.record({ actorId: actor.id, username: actor.username, action: 'unit.create', target: gridTeamCode(gridCode), outcome: 'ok', ip,
        detail: { after: { type: 'grid_team', regionCode: gridCode, active: true }, reason: 'grid team of a grid that had none' } }, sql);
    }
    return created.length > 0;
  }
}
