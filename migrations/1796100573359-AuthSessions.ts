import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Sessions (会话) for auth: an access token names its session, and logout, a password change or a refresh-token reuse
 * revokes it at once. A refresh-token family IS a session, so refresh_tokens.family_id becomes a FK to sessions.
 * Users gain must_change_password and password_changed_at.
 *
 * Generated from the entities by `npm run db:generate -- AuthSessions`; the backfill of sessions from existing
 * token families is written by hand and runs before the FK is added.
 */
export class AuthSessions1796100573359 implements MigrationInterface {
  name = 'AuthSessions1796100573359';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`CREATE TABLE "sessions" ("id" uuid NOT NULL, "user_id" uuid NOT NULL, "created_at" TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT now(), "expires_at" TIMESTAMP WITH TIME ZONE NOT NULL, "revoked_at" TIMESTAMP WITH TIME ZONE, "revoked_reason" text, "ip" text, CONSTRAINT "sessions_pkey" PRIMARY KEY ("id"))`);
    await q.query(`CREATE INDEX "sessions_user_idx" ON "sessions"  ("user_id")`);
    await q.query(`ALTER TABLE "users" ADD "must_change_password" boolean NOT NULL DEFAULT false`);
    await q.query(`ALTER TABLE "users" ADD "password_changed_at" TIMESTAMP WITH TIME ZONE`);
    await q.query(`ALTER TABLE "sessions" ADD CONSTRAINT "sessions_user_id_fkey" FOREIGN KEY ("user_id") REFERENCES "users"("id") ON DELETE CASCADE ON UPDATE NO ACTION`);
    // Hand-written backfill: one session per existing token family, spanning its tokens; revoked only when every
    // token of the family is (a family with a live token stays usable after the upgrade).
    await q.query(`
      INSERT INTO sessions (id, user_id, created_at, expires_at, revoked_at)
      SELECT family_id, (array_agg(user_id ORDER BY created_at, id))[1], min(created_at), max(expires_at),
             CASE WHEN bool_and(revoked_at IS NOT NULL) THEN max(revoked_at) END
        FROM refresh_tokens
       GROUP BY family_id`);
    await q.query(`ALTER TABLE "refresh_tokens" ADD CONSTRAINT "refresh_tokens_family_id_fkey" FOREIGN KEY ("family_id") REFERENCES "sessions"("id") ON DELETE CASCADE ON UPDATE NO ACTION`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE "refresh_tokens" DROP CONSTRAINT "refresh_tokens_family_id_fkey"`);
    await q.query(`ALTER TABLE "sessions" DROP CONSTRAINT "sessions_user_id_fkey"`);
    await q.query(`ALTER TABLE "users" DROP COLUMN "password_changed_at"`);
    await q.query(`ALTER TABLE "users" DROP COLUMN "must_change_password"`);
    await q.query(`DROP INDEX "public"."sessions_user_idx"`);
    await q.query(`DROP TABLE "sessions"`);
  }
}
