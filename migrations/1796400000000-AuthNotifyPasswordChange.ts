import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * The session caches must also learn at once that a user has to change their password (an administrator's reset):
 * the users trigger of AuthChangeNotify1796200000000 now fires on must_change_password too. Hand-written: TypeORM
 * models no triggers (a known exception of the drift check).
 */
export class AuthNotifyPasswordChange1796400000000 implements MigrationInterface {
  name = 'AuthNotifyPasswordChange1796400000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`DROP TRIGGER users_auth_changed ON users`);
    await q.query(`CREATE TRIGGER users_auth_changed
      AFTER UPDATE OF username, role, unit_code, jurisdiction_code, disabled, password_hash, must_change_password OR DELETE
      ON users FOR EACH ROW EXECUTE FUNCTION grid141_auth_changed()`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP TRIGGER users_auth_changed ON users`);
    await q.query(`CREATE TRIGGER users_auth_changed AFTER UPDATE OF username, role, unit_code, jurisdiction_code, disabled, password_hash OR DELETE
      ON users FOR EACH ROW EXECUTE FUNCTION grid141_auth_changed()`);
  }
}
