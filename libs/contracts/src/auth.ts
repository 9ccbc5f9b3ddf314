/** Authentication: the tokens of a session and the caller as /me shows it. */
import { Type } from '@sinclair/typebox';
import type { Static } from '@sinclair/typebox';
import { ROLES } from '#domain';
import { Nullable, Shape, StringEnum, Uuid } from './schema.js';

export const SessionUserSchema = Shape('SessionUser', {
  id: Uuid(),
  username: Type.String(),
  displayName: Type.String(),
  role: StringEnum(ROLES),
  regionCode: Type.String({ description: 'Region-code prefix of everything this user may see.' }),
  unitCode: Nullable(Type.String()),
  mustChangePassword: Type.Boolean({ description: 'The password must be changed (POST /auth/password) before it is used again.' }),
});
export type SessionUser = Static<typeof SessionUserSchema>;

/** Login, refresh and password change answer with the tokens of a session. */
export const SessionTokensSchema = Shape('SessionTokens', {
  accessToken: Type.String({ description: 'JWT; send as `Authorization: Bearer <accessToken>`.' }),
  refreshToken: Type.String({ description: 'Works once: POST /auth/refresh returns a new pair.' }),
  expiresIn: Type.Integer({ minimum: 1, description: 'Seconds until the access token expires.' }),
  user: SessionUserSchema,
});
export type SessionTokens = Static<typeof SessionTokensSchema>;

/** The authenticated caller (GET /me). */
export const MeViewSchema = Shape('MeView', {
  id: Uuid(),
  username: Type.String(),
  role: StringEnum(ROLES),
  unitCode: Nullable(Type.String()),
  jurisdictionCode: Type.String({ description: 'Region-code prefix of everything this user may see (县/乡镇/网格 code).' }),
});
export type MeView = Static<typeof MeViewSchema>;
