/** Admin: region boundary import (GeoJSON) with a preview. */
import { Type } from '@sinclair/typebox';
import type { Static } from '@sinclair/typebox';
import { Closed, Nullable, Shape, StringEnum } from './schema.js';
import { REGION_LEVELS, RegionGeometrySchema } from './regions.js';

export const REGION_IMPORT_CRS = ['wgs84', 'gcj02'] as const;

export const RegionImportItemSchema = Closed({
  code: Type.String(),
  name: Type.String(),
  level: StringEnum(REGION_LEVELS),
  geometry: RegionGeometrySchema,
  previous: Nullable(RegionGeometrySchema),
  previousSynthetic: Type.Boolean({ description: 'The geometry it replaces was generated (synthetic) — false for a new grid.' }),
});

export const RegionImportPreviewSchema = Shape('RegionImportPreview', {
  dryRun: Type.Boolean(),
  valid: Type.Boolean({ description: 'No feature is rejected: a commit writes (all features, one transaction).' }),
  written: Type.Boolean(),
  features: Type.Integer({ minimum: 0 }),
  added: Type.Array(RegionImportItemSchema, { description: 'New grids (15-digit codes under a known village).' }),
  changed: Type.Array(RegionImportItemSchema, { description: 'Regions whose boundary changes (previous: the boundary now).' }),
  unchanged: Type.Array(Type.String(), { description: 'Codes whose boundary is already the file\'s.' }),
  rejected: Type.Array(Closed({ code: Type.String(), reason: Type.String() })),
  gridTeamsCreated: Type.Array(Type.String(), { description: 'Grid team units `<grid>-WG` created for new grids (commit only).' }),
});
export type RegionImportPreview = Static<typeof RegionImportPreviewSchema>;
