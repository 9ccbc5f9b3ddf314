import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * A user's 浙政钉 account id (issue 10): 免登 login finds the account by it; work notices and to-dos are addressed to it.
 * Unique where present. Generated from the entities (`npm run db:generate`).
 */
export class UserZwddAccount1797900000000 implements MigrationInterface {
  name = 'UserZwddAccount1797900000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE "users" ADD "zwdd_account_id" character varying(64)`);
    await q.query(`CREATE UNIQUE INDEX "users_zwdd_account_id_key" ON "users"  ("zwdd_account_id")`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP INDEX "public"."users_zwdd_account_id_key"`);
    await q.query(`ALTER TABLE "users" DROP COLUMN "zwdd_account_id"`);
  }
}
