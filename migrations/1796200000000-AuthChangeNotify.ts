import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Tells every API process at commit when a session or a user's standing changes, so that their short session caches
 * drop it at once: NOTIFY on channel `grid141_auth` with `s:<session id>` or `u:<user id>`. A trigger (not the
 * application) sends it, so a change made any way — an API call, the admin CLI, plain SQL — reaches the caches.
 * Written by hand: TypeORM models no functions or triggers; both are known exceptions of the drift check.
 */
export class AuthChangeNotify1796200000000 implements MigrationInterface {
  name = 'AuthChangeNotify1796200000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      CREATE FUNCTION grid141_auth_changed() RETURNS trigger LANGUAGE plpgsql AS $$
      BEGIN
        IF TG_TABLE_NAME = 'sessions' THEN
          PERFORM pg_notify('grid141_auth', 's:' || OLD.id::text);
        ELSE
          PERFORM pg_notify('grid141_auth', 'u:' || OLD.id::text);
        END IF;
        RETURN NULL;
      END $$`);
    await q.query(`CREATE TRIGGER sessions_auth_changed AFTER UPDATE OR DELETE ON sessions
      FOR EACH ROW EXECUTE FUNCTION grid141_auth_changed()`);
    await q.query(`CREATE TRIGGER users_auth_changed AFTER UPDATE OF username, role, unit_code, jurisdiction_code, disabled, password_hash OR DELETE
      ON users FOR EACH ROW EXECUTE FUNCTION grid141_auth_changed()`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP TRIGGER users_auth_changed ON users`);
    await q.query(`DROP TRIGGER sessions_auth_changed ON sessions`);
    await q.query(`DROP FUNCTION grid141_auth_changed()`);
  }
}
