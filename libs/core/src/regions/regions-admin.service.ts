import { Injectable } from '@nestjs/common';
import type { RegionImportPreview } from '#contracts';
import { AuditService } from '../audit/audit.service.js';
import type { Actor } from '../auth/actor.js';
import { DbService } from '../database/db.service.js';
import type { Sql } from '../database/db.service.js';
import { Problem } from '../problem/problem.js';
import { bumpReferenceVersion } from '../seed/demo-seed.js';
import { GridsAdminService } from './grids-admin.service.js';
import { applyRegionsImport, planRegionsImport } from './regions-seed.js';
import type { ImportRegionsOptions, RegionsImportPlan } from './regions-seed.js';

export interface RegionUpload {
  /** The file's name (recorded as the boundaries' geom_source). */
  fileName: string;
  data: Buffer;
  crs: 'wgs84' | 'gcj02';
  codeProperty?: string;
  nameProperty?: string;
}

type Item = RegionImportPreview['added'][number];

/**
 * Real boundaries from GeoJSON for the administrator, with a preview: a dry run answers what the import would add
 * (new grids), change (with the boundary it replaces) and leave as it is, and what it rejects and why; the commit
 * writes every feature in one transaction or nothing (the same all-or-nothing import as the `regions-import` command),
 * gives new grids their grid team, bumps the reference version and is audited.
 */
@Injectable()
export class RegionsAdminService {
  constructor(private readonly db: DbService, private readonly audit: AuditService, private readonly grids: GridsAdminService) {}

  private requireAdmin(actor: Actor): void {
    if (actor.role !== 'admin') throw Problem.forbidden('only an administrator may import region boundaries');
  }

  async import(actor: Actor, upload: RegionUpload, dryRun: boolean, ip: string | null): Promise<RegionImportPreview> {
    this.requireAdmin(actor);
    const doc = parse(upload.data);
    const source = upload.fileName.replace(/[^\p{L}\p{N}._ -]/gu, '_').slice(0, 100) || 'upload.geojson';
    const opts: ImportRegionsOptions = { crs: upload.crs, codeProperty: upload.codeProperty, nameProperty: upload.nameProperty };
    const plan = await this.plan(this.db, doc, source, opts);
    if (dryRun) return { ...(await this.preview(this.db, plan)), dryRun: true, written: false };
    if (plan.rejected.length > 0 || plan.accepted.length === 0) throw rejection(plan);
    return this.db.tx(async (sql) => {
      // checked again inside the transaction: the regions may have changed since
      const again = await this.plan(sql, doc, source, opts);
      if (again.rejected.length > 0 || again.accepted.length === 0) throw rejection(again);
      const preview = await this.preview(sql, again);
      await applyRegionsImport(sql, again, source);
      const teams: string[] = [];
      for (const g of preview.added) {
        if (await this.grids.ensureTeam(sql, actor, g.code, g.name, g.code.slice(0, 9), ip)) teams.push(`${g.code}-WG`);
      }
      await bumpReferenceVersion(sql);
      await this.audit.record({ actorId: actor.id, username: actor.username, action: 'regions.import', outcome: 'ok', ip,
        detail: { source, crs: upload.crs, added: preview.added.map((a) => a.code), changed: preview.changed.map((c) => c.code),
          unchanged: preview.unchanged.length, gridTeamsCreated: teams } }, sql);
      return { ...preview, dryRun: false, written: true, gridTeamsCreated: teams };
    });
  }

  private async plan(sql: Sql, doc: unknown, source: string, opts: ImportRegionsOptions): Promise<RegionsImportPlan> {
    try {
      return await planRegionsImport(sql, doc, source, opts);
    } catch (err) {
      if (err instanceof Error && /FeatureCollection/.test(err.message)) throw Problem.invalidField('file', 'is not a GeoJSON FeatureCollection');
      throw err;
    }
  }

  private async preview(sql: Sql, plan: RegionsImportPlan): Promise<Omit<RegionImportPreview, 'dryRun' | 'written'>> {
    const rows = await sql.query<Item & { same: boolean }>(
      `SELECT t.code, t.kind, coalesce(t.name, r.name, v.name || '第' || right(t.code, 3)::int || '网格') AS name, t.level,
              ST_AsGeoJSON(n.g, 6)::json AS geometry,
              CASE WHEN r.geom IS NULL THEN NULL ELSE ST_AsGeoJSON(r.geom, 6)::json END AS previous,
              coalesce(r.synthetic, false) AS "previousSynthetic",
              (r.geom IS NOT NULL AND NOT r.synthetic AND ST_Equals(r.geom, n.g)) AS same
         FROM unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::text[]) WITH ORDINALITY AS t(code, kind, name, level, j, i)
         CROSS JOIN LATERAL (SELECT ST_Multi(ST_Force2D(ST_SetSRID(ST_GeomFromGeoJSON(t.j), 4326))) AS g) n
         LEFT JOIN regions r ON r.code = t.code
         LEFT JOIN regions v ON v.code = left(t.code, 12) AND v.level = 'village'
        ORDER BY t.i`,
      [plan.accepted.map((c) => c.code), plan.accepted.map((c) => c.kind), plan.accepted.map((c) => c.name),
        plan.accepted.map((c) => c.level), plan.accepted.map((c) => c.geojson)]);
    const item = ({ code, name, level, geometry, previous, previousSynthetic }: Item): Item => ({ code, name, level, geometry, previous, previousSynthetic });
    return {
      valid: plan.rejected.length === 0 && plan.accepted.length > 0,
      features: plan.accepted.length + plan.rejected.length,
      added: rows.filter((r) => (r as unknown as { kind: string }).kind === 'insert').map(item),
      changed: rows.filter((r) => (r as unknown as { kind: string }).kind === 'update' && !r.same).map(item),
      unchanged: rows.filter((r) => r.same).map((r) => r.code),
      rejected: plan.rejected,
      gridTeamsCreated: [],
    };
  }
}

function parse(data: Buffer): unknown {
  try {
    return JSON.parse(data.toString('utf8').replace(/^\uFEFF/, ''));
  } catch {
    throw Problem.invalidField('file', 'is not JSON (a GeoJSON FeatureCollection, UTF-8)');
  }
}

function rejection(plan: RegionsImportPlan): Problem {
  if (plan.accepted.length === 0 && plan.rejected.length === 0) return Problem.invalidField('file', 'has no features');
  return new Problem(422, 'Unprocessable Content', `${plan.rejected.length} feature(s) rejected: nothing written`,
    plan.rejected.slice(0, 100).map((r) => ({ field: `feature ${r.code || '(no code)'}`, message: r.reason })), 'urn:grid141:problem:invalid-input');
}
