import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * The map's aggregates (tables generated from their entities in libs/core/src/map) and the trigger that keeps them in
 * the transaction of every change to events — a report, a transition, an SLA warning or escalation, or anything
 * written later by any other path — so a map count can never disagree with the events table.
 *
 * Each table drops the dimensions one kind of request does not ask for, and its primary key leads with what that
 * request bounds and carries the count (`INCLUDE (n)`), so reads are index-only scans and an increment rewrites one
 * index, not two (TypeORM cannot say INCLUDE: the three primary keys are known exceptions of the drift check, with
 * their exact definitions). MapRepository picks the table by the filters present:
 * - map_region_totals (status, grid, warning): region bubbles without category or time window;
 * - map_cell_totals (level, status, cell, grid, warning) at levels 8 and 6: map cells without category or window,
 *   a pyramid (a request reads the smallest stored level at least as fine as its display cells);
 * - map_cell_category_totals (level, category, status, cell, grid, warning) at level 10: cells, and region bubbles,
 *   with a category (a category's rows are sparse: coarser levels would hardly be smaller), and the finest cells
 *   without one (at 1/1024° an open event is about one row either way);
 * - map_cell_counts (day, status, 1/1024° cell, grid, category, warning): cells, and region bubbles, with a window.
 * Region bubbles with a category or a window read the cell tables (their grid code is in the key): a table per region
 * key would hold as many rows and cost the report path another upsert (measured with the ingest benchmark).
 *
 * Locking: a change moves one event from one key to another (−1 on the old, +1 on the new) in each aggregate (one
 * key per pyramid level). Every firing takes its row locks in one global order — the aggregates in the order of
 * AGGREGATES (tables in a fixed order, a pyramid's levels in a fixed order), and within one the smaller key first —
 * so two transactions that each change one event cannot wait for each other in a cycle (no
 * deadlock). The order puts the fine keys (many, rarely shared) first and the coarse ones (few, shared by many
 * concurrent reports of a grid) last, so those are held for the shortest time. An increment is INSERT … ON CONFLICT DO UPDATE (atomic under concurrency, no lost update); a decrement
 * that reaches 0 deletes the row, so rows are exactly the non-empty keys.
 * Written by hand: TypeORM models no functions or triggers; both are known exceptions of the drift check. The
 * backfill counts the events already there with the same key expressions.
 */
export class MapAggregates1796600000000 implements MigrationInterface {
  name = 'MapAggregates1796600000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`CREATE TABLE "map_cell_category_totals" ("level" smallint NOT NULL, "category_code" character varying(4) NOT NULL, "status" text NOT NULL, "cell_y" integer NOT NULL, "cell_x" integer NOT NULL, "region_code" character varying(18) NOT NULL, "warning" text NOT NULL, "n" integer NOT NULL, CONSTRAINT "map_cell_category_totals_n_check" CHECK (n >= 0), CONSTRAINT "map_cell_category_totals_pkey" PRIMARY KEY ("level", "category_code", "status", "cell_y", "cell_x", "region_code", "warning") INCLUDE ("n"))`);
    await q.query(`CREATE TABLE "map_cell_counts" ("day" date NOT NULL, "status" text NOT NULL, "cell_y" integer NOT NULL, "cell_x" integer NOT NULL, "region_code" character varying(18) NOT NULL, "category_code" character varying(4) NOT NULL, "warning" text NOT NULL, "n" integer NOT NULL, CONSTRAINT "map_cell_counts_n_check" CHECK (n >= 0), CONSTRAINT "map_cell_counts_pkey" PRIMARY KEY ("day", "status", "cell_y", "cell_x", "region_code", "category_code", "warning") INCLUDE ("n"))`);
    await q.query(`CREATE TABLE "map_cell_totals" ("level" smallint NOT NULL, "status" text NOT NULL, "cell_y" integer NOT NULL, "cell_x" integer NOT NULL, "region_code" character varying(18) NOT NULL, "warning" text NOT NULL, "n" integer NOT NULL, CONSTRAINT "map_cell_totals_n_check" CHECK (n >= 0), CONSTRAINT "map_cell_totals_pkey" PRIMARY KEY ("level", "status", "cell_y", "cell_x", "region_code", "warning") INCLUDE ("n"))`);
    await q.query(`CREATE TABLE "map_region_totals" ("status" text NOT NULL, "region_code" character varying(18) NOT NULL, "warning" text NOT NULL, "n" integer NOT NULL, CONSTRAINT "map_region_totals_n_check" CHECK (n >= 0), CONSTRAINT "map_region_totals_pkey" PRIMARY KEY ("status", "region_code", "warning"))`);
    await q.query(MAP_COUNT_FUNCTION);
    await q.query(`CREATE TRIGGER events_map_count AFTER INSERT OR DELETE OR UPDATE OF status, warning, category_code, region_code, location, created_at
      ON events FOR EACH ROW EXECUTE FUNCTION map_count_event()`);
    for (const a of AGGREGATES) await q.query(backfill(a));
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP TRIGGER events_map_count ON events`);
    await q.query(`DROP FUNCTION map_count_event()`);
    await q.query(`DROP TABLE "map_region_totals"`);
    await q.query(`DROP TABLE "map_cell_totals"`);
    await q.query(`DROP TABLE "map_cell_counts"`);
    await q.query(`DROP TABLE "map_cell_category_totals"`);
  }
}

/** Levels of the cell pyramids (2^level cells per degree; 10 is the finest, ≈ 100 m). */
export const CELL_TOTAL_LEVELS = [6, 8] as const;
export const CELL_CATEGORY_LEVELS = [10] as const;
export const FINE_LEVEL = 10;

/**
 * One aggregate key: a table (a pyramid table once per level, the level a constant leading its key) with its key
 * columns and how an events row (NEW or OLD, or an alias) gives them. In lock order.
 */
export interface Aggregate { table: string; level?: number; columns: string[]; key: (r: string) => string[] }

const DAY = (r: string) => `(${r}.created_at AT TIME ZONE 'Asia/Shanghai')::date`;
const CELL = (r: string, axis: 'X' | 'Y', level: number) => `floor(ST_${axis}(${r}.location) * ${2 ** level})::int`;
export const AGGREGATES: Aggregate[] = [
  { table: 'map_cell_counts', columns: ['day', 'status', 'cell_y', 'cell_x', 'region_code', 'category_code', 'warning'],
    key: (r) => [DAY(r), `${r}.status`, CELL(r, 'Y', FINE_LEVEL), CELL(r, 'X', FINE_LEVEL), `${r}.region_code`, `${r}.category_code`, `${r}.warning`] },
  ...[...CELL_CATEGORY_LEVELS].reverse().map((level): Aggregate => ({ table: 'map_cell_category_totals', level,
    columns: ['level', 'category_code', 'status', 'cell_y', 'cell_x', 'region_code', 'warning'],
    key: (r) => [`${level}::smallint`, `${r}.category_code`, `${r}.status`, CELL(r, 'Y', level), CELL(r, 'X', level), `${r}.region_code`, `${r}.warning`] })),
  ...[...CELL_TOTAL_LEVELS].reverse().map((level): Aggregate => ({ table: 'map_cell_totals', level, columns: ['level', 'status', 'cell_y', 'cell_x', 'region_code', 'warning'],
    key: (r) => [`${level}::smallint`, `${r}.status`, CELL(r, 'Y', level), CELL(r, 'X', level), `${r}.region_code`, `${r}.warning`] })),
  { table: 'map_region_totals', columns: ['status', 'region_code', 'warning'], key: (r) => [`${r}.status`, `${r}.region_code`, `${r}.warning`] },
];

/** Counts the events table into one aggregate key (the migration's backfill; the map benchmark builds with it too). */
export const backfill = (a: Aggregate) =>
  `INSERT INTO ${a.table} (${a.columns.join(', ')}, n) SELECT ${a.key('e').join(', ')}, count(*) FROM events e GROUP BY ${a.columns.map((_, i) => i + 1).join(', ')}`;

/** The aggregate's rows as its key gives them (a pyramid table's rows of that level). */
export const stored = (a: Aggregate) =>
  `SELECT ${a.columns.join(', ')}, n FROM ${a.table}${a.level === undefined ? '' : ` WHERE level = ${a.level}`}`;

/** +1 on the keys of a row, one statement per table (a pyramid's levels in one VALUES list, in lock order). */
const increments = (r: string) => {
  const tables = [...new Set(AGGREGATES.map((a) => a.table))];
  return tables.map((table) => {
    const levels = AGGREGATES.filter((a) => a.table === table);
    const columns = levels[0]!.columns.join(', ');
    return `INSERT INTO ${table} AS c (${columns}, n) VALUES ${levels.map((a) => `(${a.key(r).join(', ')}, 1)`).join(', ')}
      ON CONFLICT (${columns}) DO UPDATE SET n = c.n + 1;`;
  });
};
const increment = (a: Aggregate, r: string) =>
  `INSERT INTO ${a.table} AS c (${a.columns.join(', ')}, n) VALUES (${a.key(r).join(', ')}, 1)
      ON CONFLICT (${a.columns.join(', ')}) DO UPDATE SET n = c.n + 1;`;
const decrement = (a: Aggregate, r: string) =>
  `UPDATE ${a.table} SET n = n - 1 WHERE (${a.columns.join(', ')}) = (${a.key(r).join(', ')}) RETURNING n INTO remaining;
      IF remaining = 0 THEN DELETE FROM ${a.table} WHERE (${a.columns.join(', ')}) = (${a.key(r).join(', ')}); END IF;`;

/**
 * The trigger function. An INSERT (the report path, the hot one) is one upsert statement per table; a DELETE one
 * decrement per key; an UPDATE touches a key only when it changed, the smaller key first.
 */
const MAP_COUNT_FUNCTION = `
CREATE FUNCTION map_count_event() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
  remaining int;
BEGIN
  IF TG_OP = 'INSERT' THEN
    ${increments('NEW').join('\n    ')}
    RETURN NULL;
  END IF;
  IF TG_OP = 'DELETE' THEN
    ${AGGREGATES.map((a) => decrement(a, 'OLD')).join('\n    ')}
    RETURN NULL;
  END IF;
  ${AGGREGATES.map((a) => `IF (${a.key('OLD').join(', ')}) IS DISTINCT FROM (${a.key('NEW').join(', ')}) THEN
    IF (${a.key('OLD').join(', ')}) < (${a.key('NEW').join(', ')}) THEN
      ${decrement(a, 'OLD')}
      ${increment(a, 'NEW')}
    ELSE
      ${increment(a, 'NEW')}
      ${decrement(a, 'OLD')}
    END IF;
  END IF;`).join('\n  ')}
  RETURN NULL;
END $$`;
