import { readFile, stat } from 'node:fs/promises';
import path from 'node:path';
import { gcj02ToWgs84 } from '#domain';
import type { RegionLevel } from './region.entity.js';

/**
 * Regions seed (行政区划/网格): loads the statistical division codes, generates the demo county's synthetic
 * township, village and grid polygons inside its real outline, and imports real boundaries from GeoJSON.
 *
 * Everything here takes a {@link Queryable}: a TypeORM DataSource, EntityManager or QueryRunner (results are row
 * arrays). Statements are written so that each one is idempotent and no result is read from a bare
 * UPDATE/DELETE (TypeORM returns `[rows, count]` for those): every read is a SELECT or an INSERT … RETURNING.
 */
export interface Queryable {
  query(sql: string, params?: unknown[]): Promise<any>;
}

/** `geom_source` of the real county outline. */
export const OUTLINE_GEOM_SOURCE = 'DataV GeoAtlas outline (GCJ-02 converted)';
/** `geom_source` of every generated (synthetic) polygon. */
export const SYNTHETIC_GEOM_SOURCE = 'synthetic (generated inside the real county outline)';

const PROVINCE = { code: '33', name: '浙江省' };
const DIVISION_LEVELS = ['city', 'county', 'township', 'village'] as const;
/** Lloyd relaxation steps: enough to turn random seed points into even, compact cells. */
const LLOYD_ITERATIONS = 6;

// ---------------------------------------------------------------------------------------------------------------
// helpers

async function rows<T = any>(db: Queryable, sql: string, params?: unknown[]): Promise<T[]> {
  const result = await db.query(sql, params);
  if (Array.isArray(result)) return result as T[];
  if (result && Array.isArray(result.rows)) return result.rows as T[]; // a bare pg client/pool
  return [];
}

async function exists(p: string): Promise<boolean> {
  try {
    await stat(p);
    return true;
  } catch {
    return false;
  }
}

/** `data/divisions/x.csv` in the repository layout, or `x.csv` directly in `dataDir` (the shared layout). */
async function dataFile(dataDir: string, sub: string, file: string): Promise<string> {
  const nested = path.join(dataDir, sub, file);
  if (await exists(nested)) return nested;
  const flat = path.join(dataDir, file);
  if (await exists(flat)) return flat;
  throw new Error(`reference data file not found: ${nested}`);
}

type Position = number[];
type PolygonCoords = Position[][];
interface GeoJsonGeometry {
  type: string;
  coordinates: unknown;
}
interface GeoJsonFeature {
  type: 'Feature';
  properties: Record<string, unknown> | null;
  geometry: GeoJsonGeometry | null;
}

/** Polygon or MultiPolygon → MultiPolygon coordinates, every position mapped through `convert`. */
function toMultiPolygon(geometry: GeoJsonGeometry, convert?: (lng: number, lat: number) => [number, number]): PolygonCoords[] {
  const polygons = (geometry.type === 'Polygon' ? [geometry.coordinates] : geometry.coordinates) as PolygonCoords[];
  if (!convert) return polygons;
  return polygons.map((polygon) => polygon.map((ring) => ring.map(([lng, lat]) => convert(lng!, lat!))));
}

/** Why a GeoJSON geometry cannot be a region boundary, or null when its structure is sound. */
function geometryProblem(geometry: GeoJsonGeometry | null | undefined): string | null {
  if (!geometry || typeof geometry !== 'object') return 'missing geometry';
  if (geometry.type !== 'Polygon' && geometry.type !== 'MultiPolygon') {
    return `geometry type ${String(geometry.type)} is not Polygon or MultiPolygon`;
  }
  const polygons = (geometry.type === 'Polygon' ? [geometry.coordinates] : geometry.coordinates) as unknown;
  if (!Array.isArray(polygons) || polygons.length === 0) return 'empty geometry';
  for (const polygon of polygons) {
    if (!Array.isArray(polygon) || polygon.length === 0) return 'empty polygon';
    for (const ring of polygon) {
      if (!Array.isArray(ring) || ring.length < 4) return 'ring with fewer than 4 positions';
      for (const pos of ring) {
        if (!Array.isArray(pos) || pos.length < 2) return 'malformed position';
        const [lng, lat] = pos as unknown[];
        if (typeof lng !== 'number' || typeof lat !== 'number' || !Number.isFinite(lng) || !Number.isFinite(lat)) {
          return 'non-numeric coordinate';
        }
        if (lng < -180 || lng > 180 || lat < -90 || lat > 90) return `coordinate out of range (${lng}, ${lat})`;
      }
      const first = ring[0] as number[];
      const last = ring[ring.length - 1] as number[];
      if (first[0] !== last[0] || first[1] !== last[1]) return 'ring not closed';
    }
  }
  return null;
}

/** A small deterministic positive int32 from a code, for ST_GeneratePoints' seed. */
function seedOf(code: string, salt = 0): number {
  let h = 2166136261 ^ salt;
  for (let i = 0; i < code.length; i++) {
    h ^= code.charCodeAt(i);
    h = Math.imul(h, 16777619);
  }
  return (h >>> 1) % 2147483646 + 1;
}

// ---------------------------------------------------------------------------------------------------------------
// loadDivisions

export interface LoadDivisionsResult {
  /** Rows per level in the file (plus the province), all upserted. */
  counts: Record<'province' | 'city' | 'county' | 'township' | 'village', number>;
  /** Rows actually inserted or changed (0 on a re-run with the same file). */
  changed: number;
}

/**
 * Upserts every Zhejiang division (province 33, cities, counties, townships, villages/communities) from
 * `<dataDir>/divisions/zhejiang-33-divisions.csv` as regions: codes exactly as in the file (city 4 digits, county 6,
 * township 9, village 12), `parent_code` from its `parent` column. Names, levels and parents are updated;
 * geometry, `synthetic` and validity dates are never touched. One INSERT … SELECT unnest(…) per level, parents
 * before children; rows that did not change are not rewritten. Idempotent.
 */
export async function loadDivisions(db: Queryable, dataDir: string): Promise<LoadDivisionsResult> {
  const csv = await readFile(await dataFile(dataDir, 'divisions', 'zhejiang-33-divisions.csv'), 'utf8');
  const byLevel = new Map<string, { codes: string[]; names: string[]; parents: string[] }>(
    DIVISION_LEVELS.map((l) => [l, { codes: [], names: [], parents: [] }]),
  );
  const lines = csv.split(/\r?\n/);
  const header = lines[0]?.trim();
  if (header !== 'level,code,name,parent') throw new Error(`unexpected divisions header: ${header}`);
  for (let i = 1; i < lines.length; i++) {
    const line = lines[i]!.trim();
    if (!line) continue;
    const [level, code, name, parent] = line.split(',');
    const bucket = byLevel.get(level!);
    if (!bucket || !code || !name || !parent || !/^\d+$/.test(code) || !code.startsWith(parent)) {
      throw new Error(`bad divisions line ${i + 1}: ${line}`);
    }
    bucket.codes.push(code);
    bucket.names.push(name);
    bucket.parents.push(parent);
  }

  const upsert = `
    WITH up AS (
      INSERT INTO regions (code, name, level, parent_code)
      SELECT code, name, $4, parent FROM unnest($1::text[], $2::text[], $3::text[]) AS t(code, name, parent)
      ON CONFLICT (code) DO UPDATE SET name = EXCLUDED.name, level = EXCLUDED.level, parent_code = EXCLUDED.parent_code
        WHERE (regions.name, regions.level, regions.parent_code)
              IS DISTINCT FROM (EXCLUDED.name, EXCLUDED.level, EXCLUDED.parent_code)
      RETURNING 1
    ) SELECT count(*)::int AS n FROM up`;
  let changed = 0;
  const [province] = await rows<{ n: number }>(db, upsert, [[PROVINCE.code], [PROVINCE.name], [null], 'province']);
  changed += province?.n ?? 0;
  const counts = { province: 1, city: 0, county: 0, township: 0, village: 0 };
  for (const level of DIVISION_LEVELS) {
    const b = byLevel.get(level)!;
    counts[level] = b.codes.length;
    const [r] = await rows<{ n: number }>(db, upsert, [b.codes, b.names, b.parents, level]);
    changed += r?.n ?? 0;
  }
  return { counts, changed };
}

// ---------------------------------------------------------------------------------------------------------------
// generateSyntheticGeometry

/**
 * Approximate seats (WGS84) of Anji's townships: the starting points of the synthetic township cells, so that
 * the demo map looks like the county (递铺 the county seat north of centre, 天子湖 in the north, 章村 in the
 * south-west…). Only a layout aid: the resulting polygons are still synthetic.
 */
const TOWNSHIP_ANCHORS: Record<string, Record<string, [number, number]>> = {
  '330523': {
    '330523001': [119.672, 30.655], // 递铺街道
    '330523002': [119.705, 30.625], // 昌硕街道
    '330523003': [119.615, 30.630], // 灵峰街道
    '330523004': [119.730, 30.585], // 孝源街道
    '330523103': [119.470, 30.690], // 鄣吴镇
    '330523104': [119.440, 30.525], // 杭垓镇
    '330523105': [119.545, 30.600], // 孝丰镇
    '330523106': [119.510, 30.470], // 报福镇
    '330523107': [119.390, 30.440], // 章村镇
    '330523108': [119.620, 30.475], // 天荒坪镇
    '330523110': [119.800, 30.730], // 梅溪镇
    '330523111': [119.720, 30.810], // 天子湖镇
    '330523201': [119.770, 30.660], // 溪龙乡
    '330523205': [119.590, 30.545], // 上墅乡
    '330523206': [119.680, 30.520], // 山川乡
  },
};

export interface GenerateSyntheticGeometryResult {
  countyCode: string;
  townships: number;
  villages: number;
  grids: number;
  /** Grid rows created by this run (0 on a re-run). */
  gridsInserted: number;
  /** Parents whose area left nothing for their synthetic children (real children cover it, or it has no geometry); those children's geometry is cleared. */
  skipped: string[];
}

interface ChildPlan {
  code: string;
  /** Starting seed of this child's cell (a township's approximate seat); relaxation moves it. */
  anchor?: [number, number];
  /** Cluster near the parent's centre (communities 社区: small urban cells, pinned during relaxation). */
  central?: boolean;
}
interface ParentPlan {
  code: string;
  children: ChildPlan[];
  /** Anchors fix which child gets which cell; otherwise cells are assigned by position after relaxation. */
  anchored: boolean;
}

const AREA_SQL = `
  area AS (
    SELECT p.code AS parent,
           CASE WHEN rc.u IS NULL THEN p.geom
                ELSE ST_CollectionExtract(ST_Difference(p.geom, rc.u), 3) END AS g
    FROM regions p
    LEFT JOIN LATERAL (
      SELECT ST_Union(c.geom) AS u FROM regions c
      WHERE c.parent_code = p.code AND c.level = $CHILD_LEVEL AND c.geom IS NOT NULL AND NOT c.synthetic
    ) rc ON true
    WHERE p.code = ANY($PARENTS::text[]) AND p.geom IS NOT NULL
  )`;

/**
 * Generates the county's geometry: the real outline for the county (DataV GeoAtlas, converted GCJ-02 → WGS84),
 * then synthetic townships tiling the outline, villages tiling each township, and grids (网格) tiling each village
 * (two per community 社区 001–199, one per administrative village 200–399; code = village code + 001…).
 *
 * Cells are Voronoi cells of deterministic seed points (ST_GeneratePoints with a seed derived from the parent
 * code, relaxed by Lloyd's algorithm; Anji's townships start from their approximate seats), clipped to the parent
 * area, so the children tile their parent exactly and every run produces the same polygons.
 * Rows whose geometry is real (`synthetic = false`, e.g. imported by {@link importRegionsGeoJson}) are kept, and
 * their synthetic siblings share what they leave of the parent. A county geometry from another source than the
 * DataV outline is kept too. Villages that already have real grids get no new synthetic grids; synthetic grids
 * that exist there share what the real ones leave of the village.
 *
 * Idempotent and deterministic. Pass a transaction to make the whole run atomic; without one each statement is
 * still atomic and a failed run is repaired by running it again. Run {@link loadDivisions} first.
 */
export async function generateSyntheticGeometry(
  db: Queryable,
  dataDir: string,
  countyCode = '330523',
): Promise<GenerateSyntheticGeometryResult> {
  const [county] = await rows<{ code: string; geom_source: string | null; has_geom: boolean }>(
    db,
    `SELECT code, geom_source, geom IS NOT NULL AS has_geom FROM regions WHERE code = $1 AND level = 'county'`,
    [countyCode],
  );
  if (!county) throw new Error(`county ${countyCode} is not loaded: run loadDivisions first`);

  // 1. the real outline
  if (!county.has_geom || county.geom_source === OUTLINE_GEOM_SOURCE) {
    const outline = await readCountyOutline(dataDir, countyCode);
    const multi = { type: 'MultiPolygon', coordinates: toMultiPolygon(outline, gcj02ToWgs84) };
    await rows(
      db,
      `WITH g AS (SELECT ST_SetSRID(ST_GeomFromGeoJSON($2), 4326) AS g0),
            v AS (SELECT ST_Multi(ST_Force2D(CASE WHEN ST_IsValid(g0) THEN g0 ELSE ST_CollectionExtract(ST_MakeValid(g0), 3) END)) AS g FROM g),
            up AS (
              UPDATE regions SET geom = v.g, synthetic = false, geom_source = $3 FROM v
              WHERE code = $1 AND (regions.geom IS NULL OR NOT ST_Equals(regions.geom, v.g)
                                   OR regions.synthetic OR regions.geom_source IS DISTINCT FROM $3)
              RETURNING 1)
       SELECT count(*) FROM up`,
      [countyCode, JSON.stringify(multi), OUTLINE_GEOM_SOURCE],
    );
  }

  const skipped: string[] = [];

  // 2. townships in the county
  const townships = await rows<{ code: string; real: boolean }>(
    db,
    `SELECT code, (geom IS NOT NULL AND NOT synthetic) AS real FROM regions
     WHERE parent_code = $1 AND level = 'township' ORDER BY code`,
    [countyCode],
  );
  const anchors = TOWNSHIP_ANCHORS[countyCode];
  const townshipTargets = townships.filter((t) => !t.real);
  const useAnchors = !!anchors && townshipTargets.every((t) => anchors[t.code]);
  skipped.push(
    ...(await partition(db, 'township', [
      {
        code: countyCode,
        anchored: useAnchors,
        // without anchors, subdistricts (街道, township segment 001–099) cluster in the middle like a county seat
        children: townshipTargets.map((t) =>
          useAnchors ? { code: t.code, anchor: anchors![t.code] } : { code: t.code, central: Number(t.code.slice(6, 9)) < 100 },
        ),
      },
    ])),
  );

  // 3. villages in each township
  const villages = await rows<{ code: string; parent_code: string; real: boolean }>(
    db,
    `SELECT code, parent_code, (geom IS NOT NULL AND NOT synthetic) AS real FROM regions
     WHERE code LIKE $1 AND level = 'village' ORDER BY code`,
    [`${countyCode}%`],
  );
  skipped.push(...(await partition(db, 'village', groupPlans(villages, (v) => ({ code: v.code, central: isCommunity(v.code) })))));

  // 4. grid rows: 2 for each community (社区), 1 for each village (村); none where real grids exist (there the
  //    existing synthetic grids, if any, share what the real ones leave)
  const gridRows = await rows<{ village: string; real_grids: number }>(
    db,
    `SELECT v.code AS village,
            (SELECT count(*)::int FROM regions g WHERE g.parent_code = v.code AND g.level = 'grid' AND NOT g.synthetic) AS real_grids
     FROM regions v WHERE v.code LIKE $1 AND v.level = 'village' ORDER BY v.code`,
    [`${countyCode}%`],
  );
  const gridVillages = gridRows.filter((v) => v.real_grids === 0).map((v) => v.village);
  const gridCodes: string[] = [];
  const gridParents: string[] = [];
  const gridSeqs: number[] = [];
  for (const village of gridVillages) {
    const n = isCommunity(village) ? 2 : 1;
    for (let seq = 1; seq <= n; seq++) {
      gridCodes.push(`${village}${String(seq).padStart(3, '0')}`);
      gridParents.push(village);
      gridSeqs.push(seq);
    }
  }
  const [ins] = await rows<{ n: number }>(
    db,
    `WITH ins AS (
       INSERT INTO regions (code, name, level, parent_code, synthetic, geom_source)
       SELECT t.code, v.name || '第' || t.seq || '网格', 'grid', t.parent, true, $4
       FROM unnest($1::text[], $2::text[], $3::int[]) AS t(code, parent, seq)
       JOIN regions v ON v.code = t.parent
       ON CONFLICT (code) DO NOTHING
       RETURNING 1)
     SELECT count(*)::int AS n FROM ins`,
    [gridCodes, gridParents, gridSeqs, SYNTHETIC_GEOM_SOURCE],
  );

  // 5. grids in each village
  const grids = await rows<{ code: string; parent_code: string; real: boolean }>(
    db,
    `SELECT code, parent_code, (geom IS NOT NULL AND NOT synthetic) AS real FROM regions
     WHERE code LIKE $1 AND level = 'grid' ORDER BY code`,
    [`${countyCode}%`],
  );
  skipped.push(...(await partition(db, 'grid', groupPlans(grids, (g) => ({ code: g.code })))));

  const [counts] = await rows<{ townships: number; villages: number; grids: number }>(
    db,
    `SELECT count(*) FILTER (WHERE level = 'township')::int AS townships,
            count(*) FILTER (WHERE level = 'village')::int AS villages,
            count(*) FILTER (WHERE level = 'grid')::int AS grids
     FROM regions WHERE code LIKE $1 AND geom IS NOT NULL`,
    [`${countyCode}%`],
  );
  return { countyCode, ...counts!, gridsInserted: ins?.n ?? 0, skipped };
}

/** A community (社区/居委会): village segment 001–199. */
function isCommunity(villageCode: string): boolean {
  const seg = Number(villageCode.slice(9, 12));
  return seg >= 1 && seg <= 199;
}

function groupPlans<T extends { code: string; parent_code: string; real: boolean }>(
  children: T[],
  plan: (child: T) => ChildPlan,
): ParentPlan[] {
  const byParent = new Map<string, ChildPlan[]>();
  for (const c of children) {
    if (!byParent.has(c.parent_code)) byParent.set(c.parent_code, []);
    if (!c.real) byParent.get(c.parent_code)!.push(plan(c));
  }
  return [...byParent].filter(([, cs]) => cs.length > 0).map(([code, cs]) => ({ code, children: cs, anchored: false }));
}

async function readCountyOutline(dataDir: string, countyCode: string): Promise<GeoJsonGeometry> {
  const candidates: string[] = [];
  for (const sub of ['geo', '.']) {
    for (const file of [`anji-330523-outline.gcj02.geojson`, `zhejiang-33-counties.gcj02.geojson`]) {
      candidates.push(path.join(dataDir, sub, file));
    }
  }
  for (const file of candidates) {
    if (!(await exists(file))) continue;
    const fc = JSON.parse(await readFile(file, 'utf8')) as { features?: GeoJsonFeature[] };
    const feature = fc.features?.find((f) => String(f.properties?.code ?? '') === countyCode);
    if (feature?.geometry) {
      const problem = geometryProblem(feature.geometry);
      if (problem) throw new Error(`outline of ${countyCode} in ${file}: ${problem}`);
      return feature.geometry;
    }
  }
  throw new Error(`no outline for county ${countyCode} in ${dataDir}`);
}

interface Seed {
  parent: string;
  x: number;
  y: number;
  pinned: boolean;
  child?: string;
}

/**
 * Tiles each parent's free area (its geometry minus its real children) with one cell per planned child and
 * writes the cells as synthetic MultiPolygons. Returns the parents that had no free area.
 */
async function partition(db: Queryable, childLevel: RegionLevel, plans: ParentPlan[]): Promise<string[]> {
  plans = plans.filter((p) => p.children.length > 0);
  if (plans.length === 0) return [];
  const areaSql = AREA_SQL.replace('$CHILD_LEVEL', '$2').replace('$PARENTS', '$1');
  const parentCodes = plans.map((p) => p.code);

  // the free area of each parent: its size (for cluster radii) and a centre (for communities)
  const areas = await rows<{ parent: string; empty: boolean; area: number; cx: number; cy: number; x0: number; y0: number; x1: number; y1: number }>(
    db,
    `WITH ${areaSql}
     SELECT parent, coalesce(ST_IsEmpty(g), true) AS empty, ST_Area(g) AS area,
            ST_X(ST_PointOnSurface(g)) AS cx, ST_Y(ST_PointOnSurface(g)) AS cy,
            ST_XMin(g) AS x0, ST_YMin(g) AS y0, ST_XMax(g) AS x1, ST_YMax(g) AS y1
     FROM area`,
    [parentCodes, childLevel],
  );
  const areaOf = new Map(areas.filter((a) => !a.empty && a.area > 0).map((a) => [a.parent, a]));
  const skipped = parentCodes.filter((c) => !areaOf.has(c));
  plans = plans.filter((p) => areaOf.has(p.code));
  if (skipped.length > 0) {
    // nothing left for the synthetic children (real siblings cover the parent, or it has no geometry): a stale
    // polygon would overlap the real ones, so they lose theirs
    await rows(
      db,
      `WITH up AS (UPDATE regions SET geom = NULL
                   WHERE parent_code = ANY($1::text[]) AND level = $2 AND synthetic AND geom IS NOT NULL RETURNING 1)
       SELECT count(*) FROM up`,
      [skipped, childLevel],
    );
  }

  // anchors outside the free area (a re-bounded county, say) would give empty cells: fall back to generated seeds
  const anchoredPlans = plans.filter((p) => p.anchored);
  if (anchoredPlans.length > 0) {
    const anchorsIn = anchoredPlans.flatMap((p) => p.children.map((c) => ({ parent: p.code, x: c.anchor![0], y: c.anchor![1] })));
    const outside = await rows<{ parent: string }>(
      db,
      `WITH ${areaSql}
       SELECT DISTINCT t.parent FROM unnest($3::text[], $4::float8[], $5::float8[]) AS t(parent, x, y)
       JOIN area USING (parent) WHERE NOT ST_Contains(area.g, ST_SetSRID(ST_MakePoint(t.x, t.y), 4326))`,
      [parentCodes, childLevel, anchorsIn.map((a) => a.parent), anchorsIn.map((a) => a.x), anchorsIn.map((a) => a.y)],
    );
    for (const { parent } of outside) {
      const plan = plans.find((p) => p.code === parent)!;
      plan.anchored = false;
      plan.children = plan.children.map(({ code, central }) => ({ code, central }));
    }
  }

  // single child: it is the whole free area
  const singles = plans.filter((p) => p.children.length === 1);
  const multis = plans.filter((p) => p.children.length > 1);

  // initial seeds: anchors, a tight cluster of communities around the centre, the rest spread over the area
  const seeds: Seed[] = [];
  const gen: Array<{ parent: string; n: number; seed: number; radius: number; cx: number; cy: number; kind: 'central' | 'spread' }> = [];
  for (const p of multis) {
    const a = areaOf.get(p.code)!;
    if (p.anchored) {
      for (const c of p.children) seeds.push({ parent: p.code, x: c.anchor![0], y: c.anchor![1], pinned: false, child: c.code });
      continue;
    }
    // a cluster only makes sense beside a rural rest: a parent of communities only is tiled evenly
    let central = p.children.filter((c) => c.central).length;
    if (central === p.children.length) {
      p.children = p.children.map(({ code }) => ({ code }));
      central = 0;
    }
    const spread = p.children.length - central;
    // communities get about a third of an even share of the area each, packed in a disc around the centre
    const radius = Math.sqrt(((a.area / p.children.length) * Math.max(central, 1) * 0.35) / Math.PI);
    if (central > 0) gen.push({ parent: p.code, n: central, seed: seedOf(p.code, 1), radius, cx: a.cx, cy: a.cy, kind: 'central' });
    if (spread > 0) {
      gen.push({ parent: p.code, n: spread, seed: seedOf(p.code, 2), radius: central > 0 ? radius : 0, cx: a.cx, cy: a.cy, kind: 'spread' });
    }
  }
  if (gen.length > 0) {
    const generated = await rows<{ parent: string; kind: string; x: number; y: number }>(
      db,
      `WITH ${areaSql},
       req AS (SELECT * FROM unnest($3::text[], $4::int[], $5::int[], $6::float8[], $7::float8[], $8::float8[], $9::text[])
                     AS t(parent, n, seed, radius, cx, cy, kind)),
       zone AS (
         SELECT req.*, CASE
           WHEN req.kind = 'central' THEN ST_Intersection(area.g, ST_Buffer(ST_SetSRID(ST_MakePoint(cx, cy), 4326), radius, 16))
           WHEN req.radius > 0 THEN ST_Difference(area.g, ST_Buffer(ST_SetSRID(ST_MakePoint(cx, cy), 4326), radius, 16))
           ELSE area.g END AS z, area.g
         FROM req JOIN area USING (parent)),
       zone2 AS (SELECT parent, n, seed, kind,
                        CASE WHEN ST_Area(ST_CollectionExtract(z, 3)) > 0 THEN ST_CollectionExtract(z, 3) ELSE g END AS z FROM zone),
       -- on a MultiPolygon ST_GeneratePoints rounds a count per part, so the total can miss n: ask for enough and
       -- keep n, picked in a deterministic but unbiased order
       pts AS (SELECT parent, kind, n, (ST_Dump(ST_GeneratePoints(z, n + ST_NumGeometries(z), seed))).geom FROM zone2),
       ranked AS (SELECT parent, kind, n, geom, row_number() OVER (PARTITION BY parent, kind ORDER BY md5(ST_AsEWKB(geom)::text)) AS k FROM pts)
       SELECT parent, kind, ST_X(geom) AS x, ST_Y(geom) AS y FROM ranked WHERE k <= n ORDER BY parent, kind, k`,
      [parentCodes, childLevel, ...(['parent', 'n', 'seed', 'radius', 'cx', 'cy', 'kind'] as const).map((k) => gen.map((g) => g[k]))],
    );
    for (const g of generated) seeds.push({ parent: g.parent, x: g.x, y: g.y, pinned: g.kind === 'central' });
    for (const g of gen) {
      const got = generated.filter((p) => p.parent === g.parent && p.kind === g.kind).length;
      if (got !== g.n) throw new Error(`generated ${got} seed points for ${g.n} ${childLevel} cells in ${g.parent}`);
    }
  }

  // Lloyd relaxation: move every free seed to the centroid of its clipped cell (a point on the cell if the
  // centroid falls outside it); communities stay clustered.
  for (let i = 0; i < LLOYD_ITERATIONS && seeds.length > 0; i++) {
    const moved = await rows<{ i: number; x: number; y: number }>(
      db,
      `WITH ${cellsSql(areaSql)}
       SELECT i, ST_X(c) AS x, ST_Y(c) AS y FROM (
         SELECT i, CASE WHEN ST_Contains(cell, ST_Centroid(cell)) THEN ST_Centroid(cell) ELSE ST_PointOnSurface(cell) END AS c
         FROM cells WHERE NOT ST_IsEmpty(cell)) s`,
      [parentCodes, childLevel, seeds.map((s) => s.parent), seeds.map((s) => s.x), seeds.map((s) => s.y)],
    );
    for (const m of moved) {
      const s = seeds[m.i - 1]!;
      if (!s.pinned) (s.x = m.x), (s.y = m.y);
    }
  }

  // assign children to seeds: anchored plans already are; otherwise communities take the central seeds and
  // everything is numbered north → south, west → east (the convention for numbering grids)
  for (const p of multis) {
    if (p.anchored) continue;
    const mine = seeds.filter((s) => s.parent === p.code);
    const a = areaOf.get(p.code)!;
    const band = Math.sqrt(a.area / p.children.length) || 1;
    const order = (list: Seed[]) =>
      [...list].sort((s, t) => Math.floor((a.y1 - s.y) / band) - Math.floor((a.y1 - t.y) / band) || s.x - t.x);
    const central = order(mine.filter((s) => s.pinned));
    const spread = order(mine.filter((s) => !s.pinned));
    const centralChildren = p.children.filter((c) => c.central);
    const spreadChildren = p.children.filter((c) => !c.central);
    centralChildren.forEach((c, k) => (central[k]!.child = c.code));
    spreadChildren.forEach((c, k) => (spread[k]!.child = c.code));
  }

  // write: one statement for the multi-child parents, one for the single-child ones
  if (seeds.length > 0) {
    await rows(
      db,
      `WITH ${cellsSql(areaSql)},
       src AS (SELECT t.child, cells.cell FROM cells JOIN unnest($6::text[]) WITH ORDINALITY AS t(child, i) USING (i)),
       fixed AS (SELECT child, ST_Multi(CASE WHEN ST_IsValid(cell) THEN cell ELSE ST_CollectionExtract(ST_MakeValid(cell), 3) END) AS g FROM src),
       up AS (
         UPDATE regions r SET geom = fixed.g, synthetic = true, geom_source = $7 FROM fixed
         WHERE r.code = fixed.child AND NOT ST_IsEmpty(fixed.g)
           AND (r.geom IS NULL OR NOT ST_Equals(r.geom, fixed.g) OR NOT r.synthetic OR r.geom_source IS DISTINCT FROM $7)
         RETURNING 1)
       SELECT count(*)::int AS n FROM up`,
      [
        parentCodes,
        childLevel,
        seeds.map((s) => s.parent),
        seeds.map((s) => s.x),
        seeds.map((s) => s.y),
        seeds.map((s) => s.child ?? null),
        SYNTHETIC_GEOM_SOURCE,
      ],
    );
  }
  if (singles.length > 0) {
    await rows(
      db,
      `WITH ${areaSql},
       src AS (SELECT t.child, area.g FROM unnest($3::text[], $4::text[]) AS t(parent, child) JOIN area USING (parent)),
       fixed AS (SELECT child, ST_Multi(CASE WHEN ST_IsValid(g) THEN g ELSE ST_CollectionExtract(ST_MakeValid(g), 3) END) AS g FROM src),
       up AS (
         UPDATE regions r SET geom = fixed.g, synthetic = true, geom_source = $5 FROM fixed
         WHERE r.code = fixed.child
           AND (r.geom IS NULL OR NOT ST_Equals(r.geom, fixed.g) OR NOT r.synthetic OR r.geom_source IS DISTINCT FROM $5)
         RETURNING 1)
       SELECT count(*)::int AS n FROM up`,
      [parentCodes, childLevel, singles.map((p) => p.code), singles.map((p) => p.children[0]!.code), SYNTHETIC_GEOM_SOURCE],
    );
  }
  return skipped;
}

/**
 * `cells(i, parent, cell)`: for seed i (1-based, parameters $3 parents, $4 x, $5 y), its Voronoi cell among the
 * seeds of the same parent, clipped to the parent's free area (polygons only).
 */
function cellsSql(areaSql: string): string {
  return `${areaSql},
    seed AS (
      SELECT i, parent, ST_SetSRID(ST_MakePoint(x, y), 4326) AS pt
      FROM unnest($3::text[], $4::float8[], $5::float8[]) WITH ORDINALITY AS t(parent, x, y, i)),
    vor AS (
      SELECT v.parent, (ST_Dump(ST_VoronoiPolygons(v.mp, 0, ST_Expand(area.g, 0.05)))).geom AS vcell, area.g
      FROM (SELECT parent, ST_Collect(pt) AS mp FROM seed GROUP BY parent) v JOIN area USING (parent)),
    cells AS (
      SELECT seed.i, seed.parent, ST_CollectionExtract(ST_Intersection(vor.vcell, vor.g), 3) AS cell
      FROM seed JOIN vor ON vor.parent = seed.parent AND ST_Intersects(vor.vcell, seed.pt))`;
}

// ---------------------------------------------------------------------------------------------------------------
// importRegionsGeoJson

export interface ImportRegionsOptions {
  /** Datum of the file's coordinates; GCJ-02 is converted to WGS84 before anything is stored. */
  crs: 'wgs84' | 'gcj02';
  /** Feature property holding the region code (default `code`). */
  codeProperty?: string;
  /** Feature property holding a name (default `name`): names new grids and renames grids; divisions keep their statistical names. */
  nameProperty?: string;
  /** When set, every feature must be a region of this level (a new grid code counts as `grid`). */
  level?: RegionLevel;
  /** Apply the acceptable features even when others are rejected (default false: a file with any rejection changes nothing). */
  skipRejected?: boolean;
}

export interface ImportRegionsResult {
  updated: number;
  inserted: number;
  rejected: Array<{ code: string; reason: string }>;
}

/**
 * The `regions import` command: loads real boundaries from a GeoJSON FeatureCollection of Polygon/MultiPolygon
 * features. Each feature is matched to a region by its code property; its geometry (converted from GCJ-02 when
 * `crs` is `gcj02`) replaces the region's, with `synthetic = false` and `geom_source` = the file name. A new
 * 15-digit code under a known village is inserted as a grid (网格). Unknown codes, bad or invalid geometries
 * (ST_IsValid), duplicate codes and level mismatches are returned in `rejected`.
 *
 * Never half-applied: everything is checked before anything is written, and all writes are one SQL statement, so
 * the import is atomic even on a bare DataSource; pass a transaction (QueryRunner or EntityManager) to make it part
 * of a larger unit of work. By default a file with any rejection changes nothing (`updated` and `inserted` are 0);
 * with `skipRejected` the acceptable features are applied. Synthetic children of a re-bounded region are not
 * regenerated here: run {@link generateSyntheticGeometry} again to fit them into the new boundary.
 */
export async function importRegionsGeoJson(
  db: Queryable,
  filePath: string,
  opts: ImportRegionsOptions,
): Promise<ImportRegionsResult> {
  const source = path.basename(filePath);
  const plan = await planRegionsImport(db, JSON.parse(await readFile(filePath, 'utf8')), source, opts);
  if (plan.accepted.length === 0 || (plan.rejected.length > 0 && !opts.skipRejected)) {
    return { updated: 0, inserted: 0, rejected: plan.rejected };
  }
  return { ...(await applyRegionsImport(db, plan, source)), rejected: plan.rejected };
}

/** A feature the import accepts: its code, name (from the file), level, and MultiPolygon (WGS84) as GeoJSON text. */
export interface RegionsImportCandidate {
  code: string;
  name: string | null;
  kind: 'update' | 'insert';
  level: RegionLevel;
  geojson: string;
}

export interface RegionsImportPlan {
  accepted: RegionsImportCandidate[];
  rejected: ImportRegionsResult['rejected'];
}

/**
 * Everything {@link importRegionsGeoJson} checks, without writing: which features would update or insert which region,
 * and which are rejected and why. `doc` is the parsed GeoJSON; `source` names it in errors.
 */
export async function planRegionsImport(db: Queryable, doc0: unknown, source: string, opts: ImportRegionsOptions): Promise<RegionsImportPlan> {
  const codeProperty = opts.codeProperty ?? 'code';
  const nameProperty = opts.nameProperty ?? 'name';
  const doc = doc0 as { type?: string; features?: unknown } | null;
  if (doc?.type !== 'FeatureCollection' || !Array.isArray(doc.features)) {
    throw new Error(`${source} is not a GeoJSON FeatureCollection`);
  }
  const convert = opts.crs === 'gcj02' ? gcj02ToWgs84 : opts.crs === 'wgs84' ? undefined : null;
  if (convert === null) throw new Error(`unknown crs ${String(opts.crs)}: use wgs84 or gcj02`);

  const rejected: ImportRegionsResult['rejected'] = [];
  interface Candidate {
    code: string;
    name: string | null;
    geojson: string;
  }
  const candidates: Candidate[] = [];
  const seen = new Map<string, number>();
  for (const raw of doc.features as GeoJsonFeature[]) {
    const props = raw && typeof raw === 'object' && raw.properties && typeof raw.properties === 'object' ? raw.properties : {};
    const codeValue = props[codeProperty];
    const code = typeof codeValue === 'string' || typeof codeValue === 'number' ? String(codeValue).trim() : '';
    if (!/^\d{2}(\d{2}(\d{2}(\d{3}(\d{3}(\d{3})?)?)?)?)?$/.test(code)) {
      rejected.push({ code, reason: code ? 'malformed code' : `missing ${codeProperty} property` });
      continue;
    }
    seen.set(code, (seen.get(code) ?? 0) + 1);
    const problem = geometryProblem(raw?.geometry);
    if (problem) {
      rejected.push({ code, reason: problem });
      continue;
    }
    const nameValue = props[nameProperty];
    const name = typeof nameValue === 'string' && nameValue.trim() ? nameValue.trim() : null;
    const multi = { type: 'MultiPolygon', coordinates: toMultiPolygon(raw.geometry!, convert) };
    candidates.push({ code, name, geojson: JSON.stringify(multi) });
  }
  // a code given twice is ambiguous: reject every copy
  const duplicates = new Set([...seen].filter(([, n]) => n > 1).map(([c]) => c));
  for (const c of duplicates) rejected.push({ code: c, reason: 'duplicate code in file' });
  let accepted = candidates.filter((c) => !duplicates.has(c.code));

  // known regions, and the villages of new grid codes
  const codes = accepted.map((c) => c.code);
  const known = new Map(
    (await rows<{ code: string; level: RegionLevel }>(db, `SELECT code, level FROM regions WHERE code = ANY($1::text[])`, [codes])).map(
      (r) => [r.code, r.level],
    ),
  );
  const villageCodes = [...new Set(codes.filter((c) => c.length === 15 && !known.has(c)).map((c) => c.slice(0, 12)))];
  const villages = new Set(
    (await rows<{ code: string }>(db, `SELECT code FROM regions WHERE code = ANY($1::text[]) AND level = 'village'`, [villageCodes])).map(
      (r) => r.code,
    ),
  );
  const kinds = new Map<string, 'update' | 'insert'>();
  const levels = new Map<string, RegionLevel>();
  accepted = accepted.filter((c) => {
    const level = known.get(c.code) ?? (c.code.length === 15 && villages.has(c.code.slice(0, 12)) ? 'grid' : undefined);
    if (!level) {
      rejected.push({ code: c.code, reason: c.code.length === 15 ? 'unknown code (no such village for a new grid)' : 'unknown code' });
      return false;
    }
    if (opts.level && level !== opts.level) {
      rejected.push({ code: c.code, reason: `level is ${level}, expected ${opts.level}` });
      return false;
    }
    kinds.set(c.code, known.has(c.code) ? 'update' : 'insert');
    levels.set(c.code, level);
    return true;
  });

  // geometric validity, checked by PostGIS before anything is written
  if (accepted.length > 0) {
    const checks = await rows<{ i: number; valid: boolean; empty: boolean; reason: string }>(
      db,
      `SELECT i, ST_IsValid(g) AS valid, ST_IsEmpty(g) AS empty, ST_IsValidReason(g) AS reason
       FROM unnest($1::text[]) WITH ORDINALITY AS t(j, i), LATERAL (SELECT ST_GeomFromGeoJSON(j) AS g) x ORDER BY i`,
      [accepted.map((c) => c.geojson)],
    );
    const bad = new Map<number, string>();
    for (const c of checks) {
      if (c.empty) bad.set(Number(c.i), 'empty geometry');
      else if (!c.valid) bad.set(Number(c.i), `invalid geometry: ${c.reason}`);
    }
    accepted = accepted.filter((c, k) => {
      const reason = bad.get(k + 1);
      if (reason) rejected.push({ code: c.code, reason });
      return !reason;
    });
  }

  return {
    accepted: accepted.map((c) => ({ code: c.code, name: c.name, kind: kinds.get(c.code)!, level: levels.get(c.code)!, geojson: c.geojson })),
    rejected,
  };
}

/** Writes the accepted features of a plan in one statement (see {@link importRegionsGeoJson}). */
export async function applyRegionsImport(db: Queryable, plan: RegionsImportPlan, source: string): Promise<{ updated: number; inserted: number }> {
  const accepted = plan.accepted;
  if (accepted.length === 0) return { updated: 0, inserted: 0 };
  const [result] = await rows<{ updated: number; inserted: number }>(
    db,
    `WITH input AS (
       SELECT code, name, kind, ST_Multi(ST_Force2D(ST_SetSRID(ST_GeomFromGeoJSON(j), 4326))) AS geom
       FROM unnest($1::text[], $2::text[], $3::text[], $4::text[]) AS t(code, name, kind, j)),
     upd AS (
       UPDATE regions r SET geom = i.geom, synthetic = false, geom_source = $5,
              name = CASE WHEN r.level = 'grid' AND i.name IS NOT NULL THEN i.name ELSE r.name END
       FROM input i WHERE i.kind = 'update' AND r.code = i.code
       RETURNING 1),
     ins AS (
       INSERT INTO regions (code, name, level, parent_code, geom, synthetic, geom_source)
       SELECT i.code, coalesce(i.name, v.name || '第' || right(i.code, 3)::int || '网格'), 'grid', v.code, i.geom, false, $5
       FROM input i JOIN regions v ON v.code = left(i.code, 12) AND v.level = 'village'
       WHERE i.kind = 'insert'
       RETURNING 1)
     SELECT (SELECT count(*)::int FROM upd) AS updated, (SELECT count(*)::int FROM ins) AS inserted`,
    [
      accepted.map((c) => c.code),
      accepted.map((c) => c.name),
      accepted.map((c) => c.kind),
      accepted.map((c) => c.geojson),
      source,
    ],
  );
  return { updated: result?.updated ?? 0, inserted: result?.inserted ?? 0 };
}
