import type { MigrationInterface, QueryRunner } from 'typeorm';

/** Events filed by the living demo's generator are marked (issue 7), so screens can say so and a county can delete them. */
export class EventDemoFlag1796500000000 implements MigrationInterface {
  name = 'EventDemoFlag1796500000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE "events" ADD "demo" boolean NOT NULL DEFAULT false`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE "events" DROP COLUMN "demo"`);
  }
}
