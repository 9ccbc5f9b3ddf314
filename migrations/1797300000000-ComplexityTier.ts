import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * The complexity tier (复杂程度: 一般 / 复杂 beside urgency; DOMAIN §3.4): events.complexity, set on 受理, and sla_rules keyed by
 * (category or default, urgency, tier). One county default for 复杂 comes with it (DOMAIN §3.4's proposal: 受理, 派遣 and
 * 签收 one working day each, 处置 15 working days, 核查 2 working days) for the admin to edit; a tier without a rule of
 * its own falls back to the 一般 rule (SlaService.ruleFor). The settings version is bumped so running processes reload.
 * Columns and checks generated from EventEntity and SlaRuleEntity; the scope index (a known exception) and the rule by hand.
 */
export class ComplexityTier1797300000000 implements MigrationInterface {
  name = 'ComplexityTier1797300000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE "events" ADD "complexity" text NOT NULL DEFAULT 'ordinary'`);
    await q.query(`ALTER TABLE "events" ADD CONSTRAINT "events_complexity_check" CHECK (complexity IN ('ordinary','complex'))`);
    await q.query(`ALTER TABLE "sla_rules" ADD "complexity" text NOT NULL DEFAULT 'ordinary'`);
    await q.query(`ALTER TABLE "sla_rules" ADD CONSTRAINT "sla_rules_complexity_check" CHECK (complexity IN ('ordinary','complex'))`);
    await q.query(`DROP INDEX "sla_rules_scope_idx"`);
    await q.query(`CREATE UNIQUE INDEX sla_rules_scope_idx ON sla_rules (coalesce(category_code, '*'), urgency, complexity)`);
    await q.query(`INSERT INTO sla_rules (category_code, urgency, complexity, basis, accept_minutes, dispatch_minutes, sign_minutes, handle_minutes,
        verify_minutes, yellow_ratio, escalate_grace_minutes)
      VALUES (NULL, 'normal', 'complex', 'working', 450, 450, 450, 6750, 900, 0.8, 30) ON CONFLICT DO NOTHING`);
    await q.query(`UPDATE settings_versions SET version = version + 1 WHERE name = 'sla_rules'`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DELETE FROM sla_rules WHERE complexity <> 'ordinary'`);
    await q.query(`DROP INDEX "sla_rules_scope_idx"`);
    await q.query(`CREATE UNIQUE INDEX sla_rules_scope_idx ON sla_rules (coalesce(category_code, '*'), urgency)`);
    await q.query(`ALTER TABLE "sla_rules" DROP CONSTRAINT "sla_rules_complexity_check"`);
    await q.query(`ALTER TABLE "sla_rules" DROP COLUMN "complexity"`);
    await q.query(`ALTER TABLE "events" DROP CONSTRAINT "events_complexity_check"`);
    await q.query(`ALTER TABLE "events" DROP COLUMN "complexity"`);
    await q.query(`UPDATE settings_versions SET version = version + 1 WHERE name = 'sla_rules'`);
  }
}
