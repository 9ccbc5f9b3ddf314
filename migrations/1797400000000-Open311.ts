import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Open311 GeoReport v2 door (issue 10): API keys an administrator issues (only their SHA-256 kept) and, per service request
 * filed through it, the token, media link and the requester's contact encrypted at rest. Generated from the entities
 * (`npm run db:generate -- Open311`) and read.
 */
export class Open3111797400000000 implements MigrationInterface {
  name = 'Open3111797400000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`CREATE TABLE "open311_clients" ("id" uuid NOT NULL, "name" text NOT NULL, "key_prefix" character varying(12) NOT NULL, "key_hash" bytea NOT NULL, "service_user_id" uuid NOT NULL, "created_by" uuid, "created_at" TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT now(), "revoked_at" TIMESTAMP WITH TIME ZONE, "revoked_by" uuid, "last_used_at" TIMESTAMP WITH TIME ZONE, CONSTRAINT "open311_clients_pkey" PRIMARY KEY ("id"))`);
    await q.query(`CREATE UNIQUE INDEX "open311_clients_key_hash_key" ON "open311_clients"  ("key_hash")`);
    await q.query(`CREATE TABLE "open311_requests" ("event_id" uuid NOT NULL, "client_id" uuid NOT NULL, "token" character varying(40) NOT NULL, "media_url" text, "address_id" text, "email_enc" bytea, "phone_enc" bytea, "name_enc" bytea, "device_id_enc" bytea, "created_at" TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT now(), CONSTRAINT "open311_requests_pkey" PRIMARY KEY ("event_id"))`);
    await q.query(`CREATE UNIQUE INDEX "open311_requests_token_key" ON "open311_requests"  ("token")`);
    await q.query(`ALTER TABLE "open311_clients" ADD CONSTRAINT "open311_clients_service_user_id_fkey" FOREIGN KEY ("service_user_id") REFERENCES "users"("id") ON DELETE NO ACTION ON UPDATE NO ACTION`);
    await q.query(`ALTER TABLE "open311_requests" ADD CONSTRAINT "open311_requests_client_id_fkey" FOREIGN KEY ("client_id") REFERENCES "open311_clients"("id") ON DELETE NO ACTION ON UPDATE NO ACTION`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE "open311_requests" DROP CONSTRAINT "open311_requests_client_id_fkey"`);
    await q.query(`ALTER TABLE "open311_clients" DROP CONSTRAINT "open311_clients_service_user_id_fkey"`);
    await q.query(`DROP INDEX "public"."open311_requests_token_key"`);
    await q.query(`DROP TABLE "open311_requests"`);
    await q.query(`DROP INDEX "public"."open311_clients_key_hash_key"`);
    await q.query(`DROP TABLE "open311_clients"`);
  }
}
