import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * The map's aggregates (map_region_counts, map_region_totals, map_cell_counts, map_cell_totals: tables generated
 * from their entities) and the trigger that
 * keeps them in the transaction of every change to events — a report, a transition, an SLA warning or escalation, or
 * anything written later by any other path — so a map count can never disagree with the events table.
 *
 * Locking: a change moves one event from one key to another (−1 on the old, +1 on the new). Every firing takes its
 * row locks in one global order — the tables in the order of AGGREGATES, and within a table the smaller key
 * first — so two transactions that each change one event cannot wait for each other in a cycle (no deadlock). An
 * increment is INSERT … ON CONFLICT DO UPDATE (atomic under concurrency, no lost update); a decrement that reaches 0
 * deletes the row, so rows are exactly the non-empty keys.
 * Written by hand: TypeORM models no functions or triggers; both are known exceptions of the drift check. The
 * backfill counts the events already there with the same key expressions.
 */
export class MapAggregates1796600000000 implements MigrationInterface {
  name = 'MapAggregates1796600000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`CREATE TABLE "map_cell_counts" ("status" text NOT NULL, "cell_y" integer NOT NULL, "cell_x" integer NOT NULL, "region_code" character varying(18) NOT NULL, "day" date NOT NULL, "category_code" character varying(4) NOT NULL, "warning" text NOT NULL, "n" integer NOT NULL, CONSTRAINT "map_cell_counts_n_check" CHECK (n >= 0), CONSTRAINT "map_cell_counts_pkey" PRIMARY KEY ("status", "cell_y", "cell_x", "region_code", "day", "category_code", "warning"))`);
    await q.query(`CREATE INDEX "map_cell_counts_day_idx" ON "map_cell_counts"  ("day", "cell_y", "cell_x")`);
    await q.query(`CREATE TABLE "map_region_counts" ("status" text NOT NULL, "region_code" character varying(18) NOT NULL, "day" date NOT NULL, "category_code" character varying(4) NOT NULL, "warning" text NOT NULL, "n" integer NOT NULL, CONSTRAINT "map_region_counts_n_check" CHECK (n >= 0), CONSTRAINT "map_region_counts_pkey" PRIMARY KEY ("status", "region_code", "day", "category_code", "warning"))`);
    await q.query(`CREATE TABLE "map_cell_totals" ("status" text NOT NULL, "cell_y" integer NOT NULL, "cell_x" integer NOT NULL, "region_code" character varying(18) NOT NULL, "warning" text NOT NULL, "n" integer NOT NULL, CONSTRAINT "map_cell_totals_n_check" CHECK (n >= 0), CONSTRAINT "map_cell_totals_pkey" PRIMARY KEY ("status", "cell_y", "cell_x", "region_code", "warning"))`);
    await q.query(`CREATE TABLE "map_region_totals" ("status" text NOT NULL, "region_code" character varying(18) NOT NULL, "warning" text NOT NULL, "n" integer NOT NULL, CONSTRAINT "map_region_totals_n_check" CHECK (n >= 0), CONSTRAINT "map_region_totals_pkey" PRIMARY KEY ("status", "region_code", "warning"))`);
    await q.query(MAP_COUNT_FUNCTION);
    await q.query(`CREATE TRIGGER events_map_count AFTER INSERT OR DELETE OR UPDATE OF status, warning, category_code, region_code, location, created_at
      ON events FOR EACH ROW EXECUTE FUNCTION map_count_event()`);
    for (const a of AGGREGATES) {
      await q.query(`INSERT INTO ${a.table} (${a.columns.join(', ')}, n) SELECT ${a.key('e').join(', ')}, count(*) FROM events e GROUP BY ${a.columns.map((_, i) => i + 1).join(', ')}`);
    }
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP TRIGGER events_map_count ON events`);
    await q.query(`DROP FUNCTION map_count_event()`);
    await q.query(`DROP TABLE "map_region_totals"`);
    await q.query(`DROP TABLE "map_cell_totals"`);
    await q.query(`DROP TABLE "map_region_counts"`);
    await q.query(`DROP INDEX "public"."map_cell_counts_day_idx"`);
    await q.query(`DROP TABLE "map_cell_counts"`);
  }
}

/** The aggregates in lock order, each with its key columns and how an events row (NEW or OLD) gives them. */
const DAY = (r: string) => `(${r}.created_at AT TIME ZONE 'Asia/Shanghai')::date`;
const CELL = (r: string, axis: 'X' | 'Y', per: number) => `floor(ST_${axis}(${r}.location) * ${per})::int`;
export const AGGREGATES: { table: string; columns: string[]; key: (r: string) => string[] }[] = [
  { table: 'map_region_counts', columns: ['status', 'region_code', 'day', 'category_code', 'warning'],
    key: (r) => [`${r}.status`, `${r}.region_code`, DAY(r), `${r}.category_code`, `${r}.warning`] },
  { table: 'map_region_totals', columns: ['status', 'region_code', 'warning'], key: (r) => [`${r}.status`, `${r}.region_code`, `${r}.warning`] },
  { table: 'map_cell_counts', columns: ['status', 'cell_y', 'cell_x', 'region_code', 'day', 'category_code', 'warning'],
    key: (r) => [`${r}.status`, CELL(r, 'Y', 1024), CELL(r, 'X', 1024), `${r}.region_code`, DAY(r), `${r}.category_code`, `${r}.warning`] },
  { table: 'map_cell_totals', columns: ['status', 'cell_y', 'cell_x', 'region_code', 'warning'],
    key: (r) => [`${r}.status`, CELL(r, 'Y', 128), CELL(r, 'X', 128), `${r}.region_code`, `${r}.warning`] },
];

const increment = (a: (typeof AGGREGATES)[number], r: string) =>
  `INSERT INTO ${a.table} AS c (${a.columns.join(', ')}, n) VALUES (${a.key(r).join(', ')}, 1)
      ON CONFLICT (${a.columns.join(', ')}) DO UPDATE SET n = c.n + 1;`;
const decrement = (a: (typeof AGGREGATES)[number], r: string) =>
  `UPDATE ${a.table} SET n = n - 1 WHERE (${a.columns.join(', ')}) = (${a.key(r).join(', ')}) RETURNING n INTO remaining;
      IF remaining = 0 THEN DELETE FROM ${a.table} WHERE (${a.columns.join(', ')}) = (${a.key(r).join(', ')}); END IF;`;

/**
 * The trigger function. Keys: day = created_at in Asia/Shanghai; fine cell = floor(coordinate × 1024), coarse cell
 * floor(coordinate × 128). An INSERT (the report path, the hot one) is one upsert per aggregate; an UPDATE touches an
 * aggregate only when its key changed, the smaller key first.
 */
const MAP_COUNT_FUNCTION = `
CREATE FUNCTION map_count_event() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
  remaining int;
BEGIN
  IF TG_OP = 'INSERT' THEN
    ${AGGREGATES.map((a) => increment(a, 'NEW')).join('\n    ')}
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
