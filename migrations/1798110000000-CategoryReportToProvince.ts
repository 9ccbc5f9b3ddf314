import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Categories flagged for the province (上报省平台, issue 10): events of such a category are reported to the provincial
 * platform with every status change, like escalated ones. Off for every category until an administrator sets it.
 */
export class CategoryReportToProvince1798110000000 implements MigrationInterface {
  name = 'CategoryReportToProvince1798110000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE "categories" ADD "report_to_province" boolean NOT NULL DEFAULT false`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE "categories" DROP COLUMN "report_to_province"`);
  }
}
