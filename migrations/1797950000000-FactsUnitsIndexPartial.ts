import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * event_facts_units_idx (GIN over the units that handled a case) leaves out the cases no unit has handled yet: every
 * report inserted an empty array into it, a write on the report path (issues 7 and 8: the ingest rate) that no read
 * needs — a unit's figures read only the cases the unit handled (the queries carry the index's predicate).
 * Generated from the entities (`npm run db:generate`).
 */
export class FactsUnitsIndexPartial1797950000000 implements MigrationInterface {
  name = 'FactsUnitsIndexPartial1797950000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`DROP INDEX "public"."event_facts_units_idx"`);
    await q.query(`CREATE INDEX "event_facts_units_idx" ON "event_facts" USING gin ("handler_unit_codes") WHERE handler_unit_codes <> '{}'`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP INDEX "public"."event_facts_units_idx"`);
    await q.query(`CREATE INDEX "event_facts_units_idx" ON "event_facts" USING gin ("handler_unit_codes")`);
  }
}
