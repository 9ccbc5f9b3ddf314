import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * 12345 work orders pushed down by the provincial hotline (issue 10): one row per event they became, with the order
 * number (unique), the appeal type, the caller's contact encrypted at rest, the order's own limits, the mapped order
 * and the 回访 rating. Written as the entity (libs/core/src/hotline/hotline-order.entity.ts) says.
 */
export class HotlineOrders1797600000000 implements MigrationInterface {
  name = 'HotlineOrders1797600000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`CREATE TABLE "hotline_orders" ("event_id" uuid NOT NULL, "order_no" character varying(64) NOT NULL, "appeal_type" text NOT NULL, "caller_name_enc" bytea, "caller_phone_enc" bytea, "sign_due_at" TIMESTAMP WITH TIME ZONE, "handle_due_at" TIMESTAMP WITH TIME ZONE, "received_at" TIMESTAMP WITH TIME ZONE NOT NULL, "fields" jsonb NOT NULL, "visit_rating" smallint, "visited_at" TIMESTAMP WITH TIME ZONE, CONSTRAINT "hotline_orders_pkey" PRIMARY KEY ("event_id"))`);
    await q.query(`CREATE UNIQUE INDEX "hotline_orders_order_no_key" ON "hotline_orders"  ("order_no")`);
    await q.query(`ALTER TABLE "hotline_orders" ADD CONSTRAINT "hotline_orders_event_id_fkey" FOREIGN KEY ("event_id") REFERENCES "events"("id") ON DELETE NO ACTION ON UPDATE NO ACTION`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE "hotline_orders" DROP CONSTRAINT "hotline_orders_event_id_fkey"`);
    await q.query(`DROP INDEX "public"."hotline_orders_order_no_key"`);
    await q.query(`DROP TABLE "hotline_orders"`);
  }
}
