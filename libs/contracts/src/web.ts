/** What the web pages need to know about this installation before anyone signs in. */
import { Type } from '@sinclair/typebox';
import type { Static } from '@sinclair/typebox';
import { Nullable, Shape } from './schema.js';

export const WebConfigSchema = Shape('WebConfig', {
  countyCode: Type.String({ description: 'The county this installation serves (6 digits).' }),
  countyName: Nullable(Type.String({ description: 'Its name, from the loaded regions.' })),
  tileUrl: Nullable(Type.String({ description: 'An optional base-map tile URL template ({z}/{x}/{y}, e.g. 天地图); null: the region polygons are the base layer.' })),
  tileAttribution: Nullable(Type.String()),
});
export type WebConfig = Static<typeof WebConfigSchema>;
