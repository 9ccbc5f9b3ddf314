import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Gateway deliveries (issue 10): the messages to the provincial gateways the worker's router derives from the timeline,
 * with their delivery state (dead letters an administrator can replay), and the router's cursor over the timeline.
 * Generated from the entities (`npm run db:generate -- GatewayDeliveries`) and read. The cursor starts at the end of the
 * timeline as it is when the migration runs: changes made before the relay existed are not sent up afterwards.
 */
export class GatewayDeliveries1797700000000 implements MigrationInterface {
  name = 'GatewayDeliveries1797700000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`CREATE TABLE "gateway_deliveries" ("id" BIGSERIAL NOT NULL, "event_id" uuid NOT NULL, "action_id" bigint NOT NULL, "kind" text NOT NULL, "message_id" text NOT NULL, "payload" jsonb NOT NULL, "state" text NOT NULL DEFAULT 'pending', "attempts" integer NOT NULL DEFAULT '0', "next_attempt_at" TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT now(), "last_error" text, "last_status" integer, "created_at" TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT now(), "done_at" TIMESTAMP WITH TIME ZONE, CONSTRAINT "gateway_deliveries_state_check" CHECK (state IN ('pending', 'done', 'dead', 'skipped')), CONSTRAINT "gateway_deliveries_pkey" PRIMARY KEY ("id"))`);
    await q.query(`CREATE INDEX "gateway_deliveries_state_idx" ON "gateway_deliveries"  ("state", "id")`);
    await q.query(`CREATE INDEX "gateway_deliveries_pending_idx" ON "gateway_deliveries"  ("id") WHERE state = 'pending'`);
    await q.query(`CREATE INDEX "gateway_deliveries_event_idx" ON "gateway_deliveries"  ("event_id", "id")`);
    await q.query(`CREATE UNIQUE INDEX "gateway_deliveries_message_id_key" ON "gateway_deliveries"  ("message_id")`);
    await q.query(`CREATE TABLE "gateway_relay_cursor" ("name" text NOT NULL, "xid" bigint NOT NULL, "action_id" bigint NOT NULL, "updated_at" TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT now(), CONSTRAINT "gateway_relay_cursor_pkey" PRIMARY KEY ("name"))`);
    await q.query(`ALTER TABLE "gateway_deliveries" ADD CONSTRAINT "gateway_deliveries_event_id_fkey" FOREIGN KEY ("event_id") REFERENCES "events"("id") ON DELETE NO ACTION ON UPDATE NO ACTION`);
    await q.query(`INSERT INTO gateway_relay_cursor (name, xid, action_id)
      SELECT 'gateway', coalesce(max(xid), 0), coalesce((SELECT max(id) FROM event_actions WHERE xid = (SELECT max(xid) FROM event_actions)), 0) FROM event_actions`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE "gateway_deliveries" DROP CONSTRAINT "gateway_deliveries_event_id_fkey"`);
    await q.query(`DROP TABLE "gateway_relay_cursor"`);
    await q.query(`DROP INDEX "public"."gateway_deliveries_message_id_key"`);
    await q.query(`DROP INDEX "public"."gateway_deliveries_event_idx"`);
    await q.query(`DROP INDEX "public"."gateway_deliveries_pending_idx"`);
    await q.query(`DROP INDEX "public"."gateway_deliveries_state_idx"`);
    await q.query(`DROP TABLE "gateway_deliveries"`);
  }
}
