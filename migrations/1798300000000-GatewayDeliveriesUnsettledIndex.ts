import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * The relay's claim keeps an event's deliveries in order by asking, for each candidate, whether the event has an earlier
 * unsettled one (pending or dead). Served by the (event_id, id) index plus the state index, that probe depended on the
 * statistics: measured with a 32,000-message backlog whose table had last been analysed while small, the planner AND-ed
 * the whole state index into every probe (0.6 s per claim, 47 messages/s until autovacuum analysed the table). A partial
 * index of exactly the unsettled deliveries answers it with one small probe. Generated from the entities
 * (`npm run db:generate`).
 */
export class GatewayDeliveriesUnsettledIndex1798300000000 implements MigrationInterface {
  name = 'GatewayDeliveriesUnsettledIndex1798300000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`CREATE INDEX "gateway_deliveries_unsettled_idx" ON "gateway_deliveries"  ("event_id", "id") WHERE state IN ('pending', 'dead')`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP INDEX "public"."gateway_deliveries_unsettled_idx"`);
  }
}
