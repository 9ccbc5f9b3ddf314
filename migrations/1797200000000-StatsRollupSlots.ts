import type { MigrationInterface, QueryRunner } from 'typeorm';
import { ROLLUP_COLUMNS } from './1797100000001-StatsRollups.js';

/**
 * stats_daily keys gain a slot (0–7, ROLLUP_SLOT: from the event id): a report upserts its day-and-township row and holds
 * the lock until commit, so with one row per township every concurrent report of a township waited for the one before
 * it (the ingest benchmark lost a quarter of its rate to it). Eight rows per key spread them; readers already sum.
 * Existing rows stay in slot 0 (a sum over slots is the same); down folds the slots back into one row per key.
 * Generated from StatsDailyEntity (the slot column and the primary key), the fold by hand.
 */
export class StatsRollupSlots1797200000000 implements MigrationInterface {
  name = 'StatsRollupSlots1797200000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE "stats_daily" ADD "slot" smallint NOT NULL DEFAULT '0'`);
    await q.query(`ALTER TABLE "stats_daily" DROP CONSTRAINT "stats_daily_pkey"`);
    await q.query(`ALTER TABLE "stats_daily" ADD CONSTRAINT "stats_daily_pkey" PRIMARY KEY ("day", "township_code", "slot")`);
  }

  async down(q: QueryRunner): Promise<void> {
    const cols = ROLLUP_COLUMNS.join(', ');
    await q.query(`CREATE TEMP TABLE stats_daily_fold ON COMMIT DROP AS
      SELECT day, township_code, ${ROLLUP_COLUMNS.map((c) => `sum(${c}) AS ${c}`).join(', ')} FROM stats_daily GROUP BY 1, 2`);
    await q.query(`DELETE FROM stats_daily`);
    await q.query(`ALTER TABLE "stats_daily" DROP CONSTRAINT "stats_daily_pkey"`);
    await q.query(`ALTER TABLE "stats_daily" DROP COLUMN "slot"`);
    await q.query(`ALTER TABLE "stats_daily" ADD CONSTRAINT "stats_daily_pkey" PRIMARY KEY ("day", "township_code")`);
    await q.query(`INSERT INTO stats_daily (day, township_code, ${cols}) SELECT day, township_code, ${cols} FROM stats_daily_fold`);
  }
}
