import type { MigrationInterface, QueryRunner } from 'typeorm';
import { ROLLUP_SLOT, SHANGHAI_DAY } from './1797100000001-StatsRollups.js';

/**
 * A report's rollup upsert (stats_daily: reported and 自行处置 on its day, township and slot) moves from the report's own
 * statement into an AFTER INSERT trigger on events that fires after the map trigger (triggers fire in name order:
 * events_map_count, then events_report_rollup). A report took its stats_daily row lock in the statement and its map
 * aggregate locks at the statement's end, while a transition takes the map locks in its UPDATE and stats_daily in the
 * statement after it: a report and a transition in the same cell, township and day could each hold what the other
 * wanted (a deadlock, and the report answered 500). Now every writer takes the map aggregates first, then stats_daily.
 * Written by hand: TypeORM models no functions or triggers (known exceptions of the drift check).
 */
export class ReportRollupTrigger1797800000000 implements MigrationInterface {
  name = 'ReportRollupTrigger1797800000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(REPORT_ROLLUP_FUNCTION);
    await q.query(`CREATE TRIGGER events_report_rollup AFTER INSERT ON events FOR EACH ROW EXECUTE FUNCTION stats_report_rollup()`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP TRIGGER events_report_rollup ON events`);
    await q.query(`DROP FUNCTION stats_report_rollup()`);
  }
}

const REPORT_ROLLUP_FUNCTION = `
CREATE FUNCTION stats_report_rollup() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  INSERT INTO stats_daily (day, township_code, slot, reported, self_resolved)
  VALUES (${SHANGHAI_DAY('NEW.created_at')}, left(NEW.grid_code, 9), ${ROLLUP_SLOT('NEW.id')}, 1, NEW.resolved_on_site::int)
  ON CONFLICT (day, township_code, slot) DO UPDATE SET reported = stats_daily.reported + 1,
    self_resolved = stats_daily.self_resolved + EXCLUDED.self_resolved;
  RETURN NULL;
END $$`;
