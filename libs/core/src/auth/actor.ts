import type { Role } from '#domain';

/** The authenticated caller, as carried in the access token. Services take it first. */
export interface Actor {
  id: string;
  username: string;
  role: Role;
  unitCode: string | null;
  /** Region-code prefix of everything this user may see (县/乡镇/网格 code). */
  jurisdictionCode: string;
}
