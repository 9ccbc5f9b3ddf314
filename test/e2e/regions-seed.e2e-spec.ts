import { describe, it, expect, beforeAll, afterAll } from '@jest/globals';
import 'reflect-metadata';
import { randomBytes } from 'node:crypto';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import pg from 'pg';
import { DataSource } from 'typeorm';
import { MIGRATIONS } from '../../migrations/index.js';
import { wgs84ToGcj02 } from '../../libs/domain/src/coords.js';
import {
  OUTLINE_GEOM_SOURCE,
  SYNTHETIC_GEOM_SOURCE,
  generateSyntheticGeometry,
  importRegionsGeoJson,
  loadDivisions,
} from '../../libs/core/src/regions/regions-seed.js';

/**
 * Regions seed (行政区划/网格) against a real PostgreSQL/PostGIS: a fresh database per run, migrated with the
 * project's migrations, loaded with the Zhejiang division codes and Anji's synthetic geometry.
 */
const HOST = process.env.PGHOST ?? '127.0.0.1';
const PORT = Number(process.env.PGPORT ?? 5432);
const USER = process.env.PGUSER ?? 'postgres';
const PASSWORD = process.env.PGPASSWORD;
const DATA_DIR = fileURLToPath(new URL('../../data', import.meta.url));
const ANJI = '330523';

const dbName = `grid141_t_regions_${randomBytes(4).toString('hex')}`;
let ds: DataSource;
let tmp: string;
const timings: Record<string, number> = {};

async function admin<T>(fn: (c: pg.Client) => Promise<T>): Promise<T> {
  const client = new pg.Client({ host: HOST, port: PORT, user: USER, password: PASSWORD, database: 'postgres' });
  await client.connect();
  try {
    return await fn(client);
  } finally {
    await client.end();
  }
}

async function timed<T>(name: string, fn: () => Promise<T>): Promise<T> {
  const t0 = performance.now();
  const result = await fn();
  timings[name] = Math.round(performance.now() - t0);
  return result;
}

/** Everything about Anji's regions that a run could change. */
async function snapshot(): Promise<string> {
  const rows = await ds.query(
    `SELECT code, name, level, parent_code, synthetic, geom_source, md5(ST_AsEWKB(geom)) AS geom
     FROM regions WHERE code LIKE $1 ORDER BY code`,
    [`${ANJI}%`],
  );
  const [{ n }] = await ds.query(`SELECT count(*)::int AS n FROM regions`);
  return JSON.stringify({ n, rows });
}

async function writeGeoJson(name: string, features: unknown[]): Promise<string> {
  const file = path.join(tmp, name);
  await writeFile(file, JSON.stringify({ type: 'FeatureCollection', features }));
  return file;
}

/** A square of side 2·r degrees around (lng, lat), as GeoJSON Polygon coordinates. */
function square(lng: number, lat: number, r: number): number[][][] {
  return [[[lng - r, lat - r], [lng + r, lat - r], [lng + r, lat + r], [lng - r, lat + r], [lng - r, lat - r]]];
}

beforeAll(async () => {
  await admin((c) => c.query(`CREATE DATABASE ${dbName}`));
  ds = new DataSource({
    type: 'postgres',
    host: HOST,
    port: PORT,
    username: USER,
    password: PASSWORD,
    database: dbName,
    migrations: MIGRATIONS,
    synchronize: false,
  });
  await ds.initialize();
  await ds.runMigrations();
  tmp = await mkdtemp(path.join(tmpdir(), 'grid141-regions-'));
}, 120_000);

afterAll(async () => {
  if (ds?.isInitialized) await ds.destroy();
  await admin((c) => c.query(`DROP DATABASE IF EXISTS ${dbName} WITH (FORCE)`));
  if (tmp) await rm(tmp, { recursive: true, force: true });
  // eslint-disable-next-line no-console
  console.log(`regions seed timings (ms): ${JSON.stringify(timings)}`);
}, 60_000);

describe('regions seed', () => {
  it('loads every Zhejiang division with its parent, in a few seconds', async () => {
    const result = await timed('loadDivisions', () => loadDivisions(ds, DATA_DIR));
    expect(result.counts).toEqual({ province: 1, city: 11, county: 90, township: 1387, village: 25547 });
    expect(result.changed).toBe(27036);
    expect(timings.loadDivisions).toBeLessThan(10_000);

    const byLevel = await ds.query(`SELECT level, count(*)::int AS n FROM regions GROUP BY level ORDER BY level`);
    expect(Object.fromEntries(byLevel.map((r: { level: string; n: number }) => [r.level, r.n]))).toEqual({
      province: 1, city: 11, county: 90, township: 1387, village: 25547,
    });
    // every division hangs under the code it extends (the code prefix is the ancestry)
    const [orphans] = await ds.query(`
      SELECT count(*)::int AS n FROM regions r LEFT JOIN regions p ON p.code = r.parent_code
      WHERE r.level <> 'province' AND (p.code IS NULL OR NOT starts_with(r.code, p.code)
        OR length(r.code) <> CASE r.level WHEN 'city' THEN 4 WHEN 'county' THEN 6 WHEN 'township' THEN 9 ELSE 12 END)`);
    expect(orphans.n).toBe(0);
    const [village] = await ds.query(`SELECT name, parent_code FROM regions WHERE code = '330523001002'`);
    expect(village).toEqual({ name: '苕秀社区居委会', parent_code: '330523001' });
    const [province] = await ds.query(`SELECT name, level, parent_code FROM regions WHERE code = '33'`);
    expect(province).toEqual({ name: '浙江省', level: 'province', parent_code: null });
  });

  it('generates Anji geometry inside the real outline in well under 30 s', async () => {
    const result = await timed('generateSyntheticGeometry', () => generateSyntheticGeometry(ds, DATA_DIR));
    expect(result).toMatchObject({ countyCode: ANJI, townships: 15, villages: 218, skipped: [] });
    expect(result.grids).toBeGreaterThanOrEqual(218);
    expect(result.gridsInserted).toBe(result.grids);
    expect(timings.generateSyntheticGeometry).toBeLessThan(30_000);
  }, 60_000);

  it('stores the county outline converted from GCJ-02 to WGS84, labelled as real', async () => {
    const [county] = await ds.query(`SELECT synthetic, geom_source, GeometryType(geom) AS type, ST_SRID(geom) AS srid,
                                            ST_IsValid(geom) AS valid, ST_Area(geom::geography) / 1e6 AS km2
                                     FROM regions WHERE code = $1`, [ANJI]);
    expect(county).toMatchObject({ synthetic: false, geom_source: OUTLINE_GEOM_SOURCE, type: 'MULTIPOLYGON', srid: 4326, valid: true });
    expect(county.km2).toBeGreaterThan(1800); // Anji: about 1,886 km²
    expect(county.km2).toBeLessThan(1950);

    // the stored outline is the published GCJ-02 one shifted back by a few hundred metres
    const fc = JSON.parse(await readFile(path.join(DATA_DIR, 'geo/anji-330523-outline.gcj02.geojson'), 'utf8'));
    const [shift] = await ds.query(
      `SELECT ST_Distance(ST_Centroid(ST_SetSRID(ST_GeomFromGeoJSON($1), 4326))::geography, ST_Centroid(geom)::geography) AS m
       FROM regions WHERE code = $2`,
      [JSON.stringify(fc.features[0].geometry), ANJI],
    );
    expect(shift.m).toBeGreaterThan(100);
    expect(shift.m).toBeLessThan(1000);
  });

  it('tiles the county with 15 valid, synthetic, non-overlapping townships', async () => {
    const townships = await ds.query(`
      SELECT code, GeometryType(geom) AS type, ST_IsValid(geom) AS valid, ST_IsEmpty(geom) AS empty, synthetic, geom_source
      FROM regions WHERE parent_code = $1 AND level = 'township' ORDER BY code`, [ANJI]);
    expect(townships).toHaveLength(15);
    for (const t of townships) {
      expect(t).toMatchObject({ type: 'MULTIPOLYGON', valid: true, empty: false, synthetic: true, geom_source: SYNTHETIC_GEOM_SOURCE });
    }
    const [tiling] = await ds.query(`
      WITH t AS (SELECT code, geom FROM regions WHERE parent_code = $1 AND level = 'township'),
           c AS (SELECT geom FROM regions WHERE code = $1)
      SELECT (SELECT ST_Area(geom) FROM c) AS county,
             (SELECT ST_Area(ST_Union(geom)) FROM t) AS union_area,
             (SELECT sum(ST_Area(geom)) FROM t) AS sum_area,
             (SELECT coalesce(sum(ST_Area(ST_Intersection(a.geom, b.geom))), 0)
                FROM t a JOIN t b ON a.code < b.code AND ST_Intersects(a.geom, b.geom)) AS overlap,
             (SELECT ST_Area(ST_Difference((SELECT geom FROM c), ST_Union(geom))) FROM t) AS uncovered`, [ANJI]);
    expect(Math.abs(tiling.union_area - tiling.county) / tiling.county).toBeLessThan(0.001);
    expect(tiling.overlap / tiling.county).toBeLessThan(1e-9);
    expect(tiling.uncovered / tiling.county).toBeLessThan(1e-9);
    expect(Math.abs(tiling.sum_area - tiling.county) / tiling.county).toBeLessThan(0.001);
  });

  it('tiles every township with its villages and every village with its grids', async () => {
    for (const [childLevel, parentLevel] of [['village', 'township'], ['grid', 'village']]) {
      const bad = await ds.query(`
        WITH p AS (SELECT code, geom FROM regions WHERE code LIKE $1 AND level = $2),
             k AS (SELECT parent_code, count(*) AS n, sum(ST_Area(geom)) AS sum_area, ST_Union(geom) AS u,
                          bool_and(ST_IsValid(geom) AND NOT ST_IsEmpty(geom) AND GeometryType(geom) = 'MULTIPOLYGON' AND synthetic) AS ok
                   FROM regions WHERE code LIKE $1 AND level = $3 GROUP BY parent_code)
        SELECT p.code, k.n, k.ok, ST_Area(p.geom) AS area, k.sum_area, ST_Area(k.u) AS union_area,
               ST_Area(ST_SymDifference(p.geom, k.u)) AS diff
        FROM p LEFT JOIN k ON k.parent_code = p.code
        WHERE k.n IS NULL OR NOT k.ok
           OR abs(k.sum_area - ST_Area(p.geom)) > 1e-9 * ST_Area(p.geom)
           OR abs(ST_Area(k.u) - ST_Area(p.geom)) > 1e-9 * ST_Area(p.geom)
           OR ST_Area(ST_SymDifference(p.geom, k.u)) > 1e-9 * ST_Area(p.geom)`, [`${ANJI}%`, parentLevel, childLevel]);
      expect({ childLevel, bad }).toEqual({ childLevel, bad: [] });
    }
  });

  it('gives two grids to each community (社区) and one to each village (村), coded under the village', async () => {
    const counts = await ds.query(`
      SELECT v.code, v.name, count(g.code)::int AS n, array_agg(g.code ORDER BY g.code) AS codes, array_agg(g.name ORDER BY g.code) AS names
      FROM regions v LEFT JOIN regions g ON g.parent_code = v.code AND g.level = 'grid'
      WHERE v.code LIKE $1 AND v.level = 'village' GROUP BY v.code, v.name ORDER BY v.code`, [`${ANJI}%`]);
    expect(counts).toHaveLength(218);
    for (const v of counts) {
      const community = Number(v.code.slice(9)) < 200;
      expect(v.n).toBe(community ? 2 : 1);
      expect(v.codes).toEqual(community ? [`${v.code}001`, `${v.code}002`] : [`${v.code}001`]);
      expect(v.names[0]).toBe(`${v.name}第1网格`);
    }
  });

  it('locates a point on the surface of each township in exactly one grid of that township', async () => {
    const located = await ds.query(`
      SELECT t.code AS township, array_agg(g.code) FILTER (WHERE g.code IS NOT NULL) AS grids
      FROM regions t
      CROSS JOIN LATERAL (SELECT ST_PointOnSurface(t.geom) AS pt) p
      LEFT JOIN regions g ON g.level = 'grid' AND ST_Covers(g.geom, p.pt)
      WHERE t.parent_code = $1 AND t.level = 'township'
      GROUP BY t.code ORDER BY t.code`, [ANJI]);
    expect(located).toHaveLength(15);
    for (const { township, grids } of located) {
      expect(grids).toHaveLength(1);
      expect(grids[0].startsWith(township)).toBe(true);
    }
  });

  it('is idempotent and deterministic: a second run changes nothing', async () => {
    const before = await snapshot();
    const again = await loadDivisions(ds, DATA_DIR);
    expect(again.changed).toBe(0);
    const regen = await generateSyntheticGeometry(ds, DATA_DIR);
    expect(regen.gridsInserted).toBe(0);
    expect(await snapshot()).toBe(before);
  }, 60_000);

  it('imports real boundaries: updates a township and inserts a new grid under a known village', async () => {
    // 山川乡's boundary, slightly simplified, stands in for an official one; plus a dedicated grid (专属网格) 901
    const [src] = await ds.query(`
      SELECT ST_AsGeoJSON(ST_SimplifyPreserveTopology(t.geom, 0.002), 9)::json AS township,
             ST_X(ST_PointOnSurface(v.geom)) AS lng, ST_Y(ST_PointOnSurface(v.geom)) AS lat
      FROM regions t, regions v WHERE t.code = '330523206' AND v.code = '330523206201'`);
    const file = await writeGeoJson('anji-official.geojson', [
      { type: 'Feature', properties: { code: '330523206', name: '山川乡' }, geometry: src.township },
      { type: 'Feature', properties: { code: '330523206201901', name: '专属网格' }, geometry: { type: 'Polygon', coordinates: square(src.lng, src.lat, 0.001) } },
    ]);
    const result = await importRegionsGeoJson(ds, file, { crs: 'wgs84' });
    expect(result).toEqual({ updated: 1, inserted: 1, rejected: [] });

    const [township] = await ds.query(`
      SELECT synthetic, geom_source, GeometryType(geom) AS type, ST_Equals(geom, ST_SetSRID(ST_GeomFromGeoJSON($1), 4326)) AS same
      FROM regions WHERE code = '330523206'`, [JSON.stringify(src.township)]);
    expect(township).toEqual({ synthetic: false, geom_source: 'anji-official.geojson', type: 'MULTIPOLYGON', same: true });
    const [grid] = await ds.query(`SELECT name, level, parent_code, synthetic, geom_source FROM regions WHERE code = '330523206201901'`);
    expect(grid).toEqual({ name: '专属网格', level: 'grid', parent_code: '330523206201', synthetic: false, geom_source: 'anji-official.geojson' });
  });

  it('rejects unknown codes and invalid geometries without changing anything', async () => {
    const before = await snapshot();
    const file = await writeGeoJson('bad.geojson', [
      { type: 'Feature', properties: { code: '330523205' }, geometry: { type: 'Polygon', coordinates: square(119.59, 30.545, 0.01) } },
      { type: 'Feature', properties: { code: '330523999' }, geometry: { type: 'Polygon', coordinates: square(119.6, 30.6, 0.01) } },
      { type: 'Feature', properties: { code: '330523999999001' }, geometry: { type: 'Polygon', coordinates: square(119.6, 30.6, 0.01) } },
      {
        type: 'Feature',
        properties: { code: '330523201' },
        // a bow tie: self-intersecting
        geometry: { type: 'Polygon', coordinates: [[[119.7, 30.6], [119.8, 30.7], [119.8, 30.6], [119.7, 30.7], [119.7, 30.6]]] },
      },
      { type: 'Feature', properties: { code: '330523103' }, geometry: { type: 'Point', coordinates: [119.5, 30.7] } },
    ]);
    const result = await importRegionsGeoJson(ds, file, { crs: 'wgs84' });
    expect(result.updated).toBe(0);
    expect(result.inserted).toBe(0);
    const reasons = Object.fromEntries(result.rejected.map((r) => [r.code, r.reason]));
    expect(Object.keys(reasons).sort()).toEqual(['330523103', '330523201', '330523999', '330523999999001']);
    expect(reasons['330523999']).toMatch(/unknown code/);
    expect(reasons['330523201']).toMatch(/invalid geometry.*self-intersection/i);
    expect(reasons['330523103']).toMatch(/Polygon or MultiPolygon/);
    expect(await snapshot()).toBe(before); // 330523205 was fine but is not applied: never half-applied

    // with skipRejected the acceptable feature goes in and the rest is still reported
    const partial = await importRegionsGeoJson(ds, file, { crs: 'wgs84', skipRejected: true });
    expect(partial.updated).toBe(1);
    expect(partial.rejected).toHaveLength(4);
  });

  it('converts GCJ-02 files and honours the level filter and the code property', async () => {
    const wgs = square(119.9, 30.9, 0.01)[0]!; // outside Anji on purpose: geometry is not checked against parents
    const gcj = wgs.map(([lng, lat]) => wgs84ToGcj02(lng!, lat!));
    const file = await writeGeoJson('gcj.geojson', [
      { type: 'Feature', properties: { adcode: 330523111 }, geometry: { type: 'Polygon', coordinates: [gcj] } },
    ]);
    expect(await importRegionsGeoJson(ds, file, { crs: 'gcj02', codeProperty: 'adcode', level: 'village' })).toEqual({
      updated: 0,
      inserted: 0,
      rejected: [{ code: '330523111', reason: 'level is township, expected village' }],
    });
    expect(await importRegionsGeoJson(ds, file, { crs: 'gcj02', codeProperty: 'adcode', level: 'township' })).toEqual({
      updated: 1,
      inserted: 0,
      rejected: [],
    });
    const [{ d }] = await ds.query(
      `SELECT ST_HausdorffDistance(geom, ST_SetSRID(ST_GeomFromGeoJSON($1), 4326)) AS d FROM regions WHERE code = '330523111'`,
      [JSON.stringify({ type: 'Polygon', coordinates: [wgs] })],
    );
    expect(d).toBeLessThan(1e-7);
  });

  it('fits synthetic villages into an imported township on the next generation run', async () => {
    await generateSyntheticGeometry(ds, DATA_DIR);
    const [row] = await ds.query(`
      SELECT t.synthetic, t.geom_source, ST_Area(ST_SymDifference(t.geom, ST_Union(v.geom))) / ST_Area(t.geom) AS diff
      FROM regions t JOIN regions v ON v.parent_code = t.code AND v.level = 'village'
      WHERE t.code = '330523206' GROUP BY t.code, t.synthetic, t.geom_source, t.geom`);
    expect(row.synthetic).toBe(false);
    expect(row.geom_source).toBe('anji-official.geojson');
    expect(row.diff).toBeLessThan(1e-9);
    // the imported grid stays; the synthetic basic grid (基础网格) takes the rest of the village
    const grids = await ds.query(`SELECT code, synthetic FROM regions WHERE parent_code = '330523206201' ORDER BY code`);
    expect(grids).toEqual([
      { code: '330523206201001', synthetic: true },
      { code: '330523206201901', synthetic: false },
    ]);
    // (the test's real grid was drawn in the village's old synthetic polygon, so it may stick out of the new one)
    const [village] = await ds.query(`
      SELECT ST_Area(ST_SymDifference(g1.geom, ST_Difference(v.geom, g2.geom))) / ST_Area(v.geom) AS diff,
             ST_Area(ST_Intersection(g1.geom, g2.geom)) / ST_Area(v.geom) AS overlap
      FROM regions v, regions g1, regions g2
      WHERE v.code = '330523206201' AND g1.code = '330523206201001' AND g2.code = '330523206201901'`);
    expect(village.diff).toBeLessThan(1e-9);
    expect(village.overlap).toBeLessThan(1e-9);
  }, 60_000);
});
