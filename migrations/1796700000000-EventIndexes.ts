import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Indexes the screens and the demo need (issue 7): a grid worker's own reports (its visibility is an OR with its grid),
 * the duplicates of a master (every event view lists them), and the living demo's open events.
 * Generated from the entities by `npm run db:generate -- EventIndexes` (renumbered after MapAggregates).
 */
export class EventIndexes1796700000000 implements MigrationInterface {
  name = 'EventIndexes1796700000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`CREATE INDEX "events_demo_open_idx" ON "events"  ("status") WHERE demo AND status NOT IN ('closed','rejected','merged')`);
    await q.query(`CREATE INDEX "events_merged_into_idx" ON "events"  ("merged_into_id") WHERE merged_into_id IS NOT NULL`);
    await q.query(`CREATE INDEX "events_reporter_idx" ON "events"  ("reporter_id") WHERE reporter_id IS NOT NULL`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP INDEX "public"."events_reporter_idx"`);
    await q.query(`DROP INDEX "public"."events_merged_into_idx"`);
    await q.query(`DROP INDEX "public"."events_demo_open_idx"`);
  }
}
