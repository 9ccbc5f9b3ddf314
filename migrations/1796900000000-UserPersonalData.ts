import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Personal data of users (PIPL, 等保 level 3): phone and ID number encrypted at rest (AES-256-GCM, key from PII_KEY)
 * with unique blind indexes (HMAC-SHA256) for exact search. Generated from the entities (`npm run db:generate`).
 */
export class UserPersonalData1796900000000 implements MigrationInterface {
  name = 'UserPersonalData1796900000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE "users" ADD "phone_enc" bytea`);
    await q.query(`ALTER TABLE "users" ADD "phone_index" bytea`);
    await q.query(`ALTER TABLE "users" ADD "id_number_enc" bytea`);
    await q.query(`ALTER TABLE "users" ADD "id_number_index" bytea`);
    await q.query(`CREATE UNIQUE INDEX "users_id_number_index_key" ON "users"  ("id_number_index")`);
    await q.query(`CREATE UNIQUE INDEX "users_phone_index_key" ON "users"  ("phone_index")`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP INDEX "public"."users_phone_index_key"`);
    await q.query(`DROP INDEX "public"."users_id_number_index_key"`);
    await q.query(`ALTER TABLE "users" DROP COLUMN "id_number_index"`);
    await q.query(`ALTER TABLE "users" DROP COLUMN "id_number_enc"`);
    await q.query(`ALTER TABLE "users" DROP COLUMN "phone_index"`);
    await q.query(`ALTER TABLE "users" DROP COLUMN "phone_enc"`);
  }
}
