import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * 浙政钉 to-dos (issue 10): the open and finished 待办 of each person on each case, with the taskUuid 浙政钉 gave the
 * create (the finish needs it). Written by the gateway router with the deliveries; see ZwddTodoEntity. Written to match
 * the entity (schema-drift e2e checks it).
 */
export class ZwddTodos1798100000000 implements MigrationInterface {
  name = 'ZwddTodos1798100000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`CREATE TABLE "zwdd_todos" ("id" BIGSERIAL NOT NULL, "biz_task_id" text NOT NULL, "event_id" uuid NOT NULL, "unit_code" character varying(40) NOT NULL, "user_id" uuid NOT NULL, "account_id" character varying(64) NOT NULL, "reason" text NOT NULL, "state" text NOT NULL DEFAULT 'open', "opened_action_id" bigint NOT NULL, "finished_action_id" bigint, "task_uuid" text, "created_at" TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT now(), "zwdd_created_at" TIMESTAMP WITH TIME ZONE, "zwdd_finished_at" TIMESTAMP WITH TIME ZONE, CONSTRAINT "zwdd_todos_reason_check" CHECK (reason IN ('dispatch', 'assist', 'overdue', 'supervise')), CONSTRAINT "zwdd_todos_state_check" CHECK (state IN ('open', 'finished')), CONSTRAINT "zwdd_todos_pkey" PRIMARY KEY ("id"))`);
    await q.query(`CREATE INDEX "zwdd_todos_user_idx" ON "zwdd_todos"  ("user_id", "state")`);
    await q.query(`CREATE UNIQUE INDEX "zwdd_todos_open_key" ON "zwdd_todos"  ("event_id", "user_id") WHERE state = 'open'`);
    await q.query(`CREATE UNIQUE INDEX "zwdd_todos_biz_task_id_key" ON "zwdd_todos"  ("biz_task_id")`);
    await q.query(`ALTER TABLE "zwdd_todos" ADD CONSTRAINT "zwdd_todos_event_id_fkey" FOREIGN KEY ("event_id") REFERENCES "events"("id") ON DELETE NO ACTION ON UPDATE NO ACTION`);
    await q.query(`ALTER TABLE "zwdd_todos" ADD CONSTRAINT "zwdd_todos_user_id_fkey" FOREIGN KEY ("user_id") REFERENCES "users"("id") ON DELETE NO ACTION ON UPDATE NO ACTION`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE "zwdd_todos" DROP CONSTRAINT "zwdd_todos_user_id_fkey"`);
    await q.query(`ALTER TABLE "zwdd_todos" DROP CONSTRAINT "zwdd_todos_event_id_fkey"`);
    await q.query(`DROP INDEX "public"."zwdd_todos_biz_task_id_key"`);
    await q.query(`DROP INDEX "public"."zwdd_todos_open_key"`);
    await q.query(`DROP INDEX "public"."zwdd_todos_user_idx"`);
    await q.query(`DROP TABLE "zwdd_todos"`);
  }
}
