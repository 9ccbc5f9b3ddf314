import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Evaluation (考核评价, issue 8): facts recorded when they happen — event_facts (one row per event, written with the
 * report), stage_facts (one row per ended SLA stage) — and the 晾晒 weights as data; SLA rules gain the 派遣 limit
 * (separate from 受理), the overall limit (整体时限), the red time before an automatic 督办 and the extension cap.
 * Generated from the entities by `npm run db:generate -- StatsFacts`; the data moves at the end added by hand.
 */
export class StatsFacts1797000000000 implements MigrationInterface {
  name = 'StatsFacts1797000000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`CREATE TABLE "event_facts" ("event_id" uuid NOT NULL, "grid_code" character varying(18) NOT NULL, "category_code" character varying(4) NOT NULL, "urgency" text NOT NULL, "source" text NOT NULL, "reporter_id" uuid, "self_resolved" boolean NOT NULL DEFAULT false, "reported_at" TIMESTAMP WITH TIME ZONE NOT NULL, "overall_due_at" TIMESTAMP WITH TIME ZONE, "accepted_at" TIMESTAMP WITH TIME ZONE, "dispatched_at" TIMESTAMP WITH TIME ZONE, "closed_at" TIMESTAMP WITH TIME ZONE, "closed_on_time" boolean, "resolution_level" text, "close_unit_code" character varying(40), "voided_at" TIMESTAMP WITH TIME ZONE, "merged_at" TIMESTAMP WITH TIME ZONE, "handler_unit_codes" text array NOT NULL DEFAULT '{}', "dispatch_level" text, "rework_count" integer NOT NULL DEFAULT '0', "wrong_dispatch_count" integer NOT NULL DEFAULT '0', "return_count" integer NOT NULL DEFAULT '0', "buck_passing_count" integer NOT NULL DEFAULT '0', "extension_count" integer NOT NULL DEFAULT '0', "suspend_count" integer NOT NULL DEFAULT '0', "suspended_minutes" numeric NOT NULL DEFAULT '0', "escalate_count" integer NOT NULL DEFAULT '0', "urge_count" integer NOT NULL DEFAULT '0', "supervised_at" TIMESTAMP WITH TIME ZONE, "late_handle_count" integer NOT NULL DEFAULT '0', "first_rating" smallint, "first_rated_at" TIMESTAMP WITH TIME ZONE, "last_rating" smallint, "stage_base_due_at" TIMESTAMP WITH TIME ZONE, "stage_pause_working_minutes" numeric NOT NULL DEFAULT '0', "stage_pause_minutes" numeric NOT NULL DEFAULT '0', CONSTRAINT "event_facts_last_rating_check" CHECK (last_rating BETWEEN 1 AND 5), CONSTRAINT "event_facts_first_rating_check" CHECK (first_rating BETWEEN 1 AND 5), CONSTRAINT "event_facts_dispatch_level_check" CHECK (dispatch_level IN ('village','township','county')), CONSTRAINT "event_facts_resolution_level_check" CHECK (resolution_level IN ('village','township','county')), CONSTRAINT "event_facts_pkey" PRIMARY KEY ("event_id"))`);
    await q.query(`CREATE INDEX "event_facts_units_idx" ON "event_facts" USING gin ("handler_unit_codes")`);
    await q.query(`CREATE INDEX "event_facts_reporter_idx" ON "event_facts"  ("reporter_id", "reported_at") WHERE reporter_id IS NOT NULL`);
    await q.query(`CREATE INDEX "event_facts_rated_idx" ON "event_facts"  ("first_rated_at") WHERE first_rated_at IS NOT NULL`);
    await q.query(`CREATE INDEX "event_facts_closed_idx" ON "event_facts"  ("closed_at", "grid_code") WHERE closed_at IS NOT NULL`);
    await q.query(`CREATE INDEX "event_facts_reported_idx" ON "event_facts"  ("reported_at", "grid_code")`);
    await q.query(`CREATE TABLE "stage_facts" ("id" BIGSERIAL NOT NULL, "event_id" uuid NOT NULL, "action_id" bigint NOT NULL, "stage" text NOT NULL, "ended_by" text NOT NULL, "unit_code" character varying(40) NOT NULL, "level" text NOT NULL, "grid_code" character varying(18) NOT NULL, "category_code" character varying(4) NOT NULL, "started_at" TIMESTAMP WITH TIME ZONE NOT NULL, "due_at" TIMESTAMP WITH TIME ZONE, "ended_at" TIMESTAMP WITH TIME ZONE NOT NULL, "basis" text, "limit_minutes" numeric, "on_time" boolean, "working_minutes" numeric NOT NULL, "warning" text NOT NULL, CONSTRAINT "stage_facts_warning_check" CHECK (warning IN ('none','yellow','red')), CONSTRAINT "stage_facts_stage_check" CHECK (stage IN ('accept','dispatch','sign','handle','verify')), CONSTRAINT "stage_facts_pkey" PRIMARY KEY ("id"))`);
    await q.query(`CREATE INDEX "stage_facts_action_idx" ON "stage_facts"  ("action_id")`);
    await q.query(`CREATE INDEX "stage_facts_event_idx" ON "stage_facts"  ("event_id")`);
    await q.query(`CREATE INDEX "stage_facts_unit_idx" ON "stage_facts"  ("unit_code", "stage", "ended_at")`);
    await q.query(`CREATE INDEX "stage_facts_ended_idx" ON "stage_facts"  ("stage", "ended_at", "grid_code")`);
    await q.query(`CREATE TABLE "stats_weights" ("kind" text NOT NULL, "indicator" text NOT NULL, "weight" numeric NOT NULL, "updated_at" TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT now(), CONSTRAINT "stats_weights_weight_check" CHECK (weight >= 0), CONSTRAINT "stats_weights_kind_check" CHECK (kind IN ('township','department','grid_worker')), CONSTRAINT "stats_weights_pkey" PRIMARY KEY ("kind", "indicator"))`);
    await q.query(`ALTER TABLE "sla_rules" ADD "dispatch_minutes" numeric`);
    await q.query(`ALTER TABLE "sla_rules" ADD "overall_minutes" numeric`);
    await q.query(`ALTER TABLE "sla_rules" ADD "supervise_after_minutes" numeric DEFAULT '7200'`);
    await q.query(`ALTER TABLE "sla_rules" ADD "max_extension_days" integer NOT NULL DEFAULT '20'`);
    await q.query(`ALTER TABLE "sla_rules" ADD CONSTRAINT "sla_rules_max_extension_days_check" CHECK (max_extension_days >= 0)`);
    await q.query(`ALTER TABLE "sla_rules" ADD CONSTRAINT "sla_rules_supervise_after_minutes_check" CHECK (supervise_after_minutes >= 0)`);
    await q.query(`ALTER TABLE "sla_rules" ADD CONSTRAINT "sla_rules_overall_minutes_check" CHECK (overall_minutes > 0)`);
    await q.query(`ALTER TABLE "sla_rules" ADD CONSTRAINT "sla_rules_dispatch_minutes_check" CHECK (dispatch_minutes > 0)`);
    await q.query(`ALTER TABLE "event_facts" ADD CONSTRAINT "event_facts_event_id_fkey" FOREIGN KEY ("event_id") REFERENCES "events"("id") ON DELETE CASCADE ON UPDATE NO ACTION`);
    await q.query(`ALTER TABLE "stage_facts" ADD CONSTRAINT "stage_facts_event_id_fkey" FOREIGN KEY ("event_id") REFERENCES "events"("id") ON DELETE CASCADE ON UPDATE NO ACTION`);
    // events reported before this migration: what is known of them (no stage history: their stages were not recorded)
    await q.query(`INSERT INTO event_facts (event_id, grid_code, category_code, urgency, source, reporter_id, self_resolved, reported_at,
        closed_at, resolution_level, close_unit_code, rework_count, return_count, urge_count, first_rating, last_rating, stage_base_due_at)
      SELECT id, grid_code, category_code, urgency, source, reporter_id, resolved_on_site, created_at, closed_at,
        CASE WHEN closed_at IS NOT NULL THEN level END, CASE WHEN closed_at IS NOT NULL THEN handler_unit_code END,
        rework_count, return_count, urge_count, rating, rating, stage_due_at FROM events`);
    // 晾晒 weights (admin-editable): the share of each indicator in a ranking's composite score
    await q.query(`INSERT INTO stats_weights (kind, indicator, weight) VALUES
      ('township', 'onTimeCloseRate', 0.3), ('township', 'satisfactionRate', 0.25), ('township', 'firstTimeRate', 0.15),
      ('township', 'onTimeSignRate', 0.15), ('township', 'closeRate', 0.15),
      ('department', 'onTimeSignRate', 0.25), ('department', 'onTimeHandleRate', 0.35), ('department', 'firstTimeRate', 0.2),
      ('department', 'satisfactionRate', 0.2),
      ('grid_worker', 'validReportRate', 0.5), ('grid_worker', 'selfResolveRate', 0.3), ('grid_worker', 'onTimeCloseRate', 0.2)`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE "stage_facts" DROP CONSTRAINT "stage_facts_event_id_fkey"`);
    await q.query(`ALTER TABLE "event_facts" DROP CONSTRAINT "event_facts_event_id_fkey"`);
    await q.query(`ALTER TABLE "sla_rules" DROP CONSTRAINT "sla_rules_dispatch_minutes_check"`);
    await q.query(`ALTER TABLE "sla_rules" DROP CONSTRAINT "sla_rules_overall_minutes_check"`);
    await q.query(`ALTER TABLE "sla_rules" DROP CONSTRAINT "sla_rules_supervise_after_minutes_check"`);
    await q.query(`ALTER TABLE "sla_rules" DROP CONSTRAINT "sla_rules_max_extension_days_check"`);
    await q.query(`ALTER TABLE "sla_rules" DROP COLUMN "max_extension_days"`);
    await q.query(`ALTER TABLE "sla_rules" DROP COLUMN "supervise_after_minutes"`);
    await q.query(`ALTER TABLE "sla_rules" DROP COLUMN "overall_minutes"`);
    await q.query(`ALTER TABLE "sla_rules" DROP COLUMN "dispatch_minutes"`);
    await q.query(`DROP TABLE "stats_weights"`);
    await q.query(`DROP INDEX "public"."stage_facts_ended_idx"`);
    await q.query(`DROP INDEX "public"."stage_facts_unit_idx"`);
    await q.query(`DROP INDEX "public"."stage_facts_event_idx"`);
    await q.query(`DROP INDEX "public"."stage_facts_action_idx"`);
    await q.query(`DROP TABLE "stage_facts"`);
    await q.query(`DROP INDEX "public"."event_facts_reported_idx"`);
    await q.query(`DROP INDEX "public"."event_facts_closed_idx"`);
    await q.query(`DROP INDEX "public"."event_facts_rated_idx"`);
    await q.query(`DROP INDEX "public"."event_facts_reporter_idx"`);
    await q.query(`DROP INDEX "public"."event_facts_units_idx"`);
    await q.query(`DROP TABLE "event_facts"`);
  }
}
