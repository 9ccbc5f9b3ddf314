import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * The change feed (变更流, issue 7): each timeline row keeps the id of the transaction that wrote it, and an index on
 * (xid, id) lets a reader page through committed changes in an order no late commit can fall behind.
 * Generated from the entities by `npm run db:generate -- ChangeFeed` (renumbered after the hand-written AuthChangeNotify).
 * Existing rows take the migration's own transaction id.
 */
export class ChangeFeed1796300000000 implements MigrationInterface {
  name = 'ChangeFeed1796300000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE "event_actions" ADD "xid" bigint NOT NULL DEFAULT txid_current()`);
    await q.query(`CREATE INDEX "event_actions_feed_idx" ON "event_actions"  ("xid", "id")`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP INDEX "public"."event_actions_feed_idx"`);
    await q.query(`ALTER TABLE "event_actions" DROP COLUMN "xid"`);
  }
}
