import type { Role } from '#domain';

/** The authenticated caller, read from its live session on every request. Services take it first. */
export interface Actor {
  id: string;
  username: string;
  role: Role;
  unitCode: string | null;
  /** Region-code prefix of everything this user may see (县/乡镇/网格 code). */
  jurisdictionCode: string;
  /** The session the access token belongs to (logout ends it). */
  sessionId: string;
  /** Set by an administrator's reset: until the password is changed, only /me, /auth/password and /auth/logout answer. */
  mustChangePassword: boolean;
}
