/** Regions (行政区划/网格): the tree, point location and the map layer. */
import { Type } from '@sinclair/typebox';
import type { Static } from '@sinclair/typebox';
import { Closed, Nullable, Shape, StringEnum } from './schema.js';

export const REGION_LEVELS = ['province', 'city', 'county', 'township', 'village', 'grid'] as const;
export const MAP_LEVELS = ['township', 'village', 'grid'] as const;

export const RegionViewSchema = Shape('RegionView', {
  code: Type.String({ description: 'Statistical division code at its natural length; grids are the village code + 3 digits.' }),
  name: Type.String(),
  level: StringEnum(REGION_LEVELS),
  parentCode: Nullable(Type.String()),
  synthetic: Type.Boolean({ description: 'Geometry generated for the demo, not surveyed.' }),
});
export type RegionView = Static<typeof RegionViewSchema>;

/** GET /regions: one level of the tree. */
export const RegionTreeSchema = Shape('RegionTree', {
  parent: Nullable(RegionViewSchema),
  items: Type.Array(RegionViewSchema),
});
export type RegionTree = Static<typeof RegionTreeSchema>;

/** GET /regions/locate: the grid holding a point, and its ancestors. */
export const LocatedRegionSchema = Shape('LocatedRegion', {
  gridCode: Type.String(),
  gridName: Type.String(),
  villageCode: Type.String(),
  villageName: Type.String(),
  townshipCode: Type.String(),
  townshipName: Type.String(),
  countyCode: Type.String(),
  countyName: Type.String(),
});
export type LocatedRegion = Static<typeof LocatedRegionSchema>;

const Position = Type.Array(Type.Number(), { minItems: 2, maxItems: 3 });
const PolygonCoordinates = Type.Array(Type.Array(Position, { minItems: 4 }));

export const RegionGeometrySchema = Type.Union([
  Closed({ type: Type.Literal('Polygon'), coordinates: PolygonCoordinates }),
  Closed({ type: Type.Literal('MultiPolygon'), coordinates: Type.Array(PolygonCoordinates) }),
], { description: 'GeoJSON geometry, WGS84 (simplified for display).' });

export const RegionFeatureSchema = Shape('RegionFeature', {
  type: Type.Literal('Feature'),
  geometry: RegionGeometrySchema,
  properties: Closed({
    code: Type.String(),
    name: Type.String(),
    level: StringEnum(REGION_LEVELS),
    synthetic: Type.Boolean(),
    open: Type.Integer({ minimum: 0, description: 'Open events in the region (within the caller\'s jurisdiction).' }),
    red: Type.Integer({ minimum: 0 }),
    yellow: Type.Integer({ minimum: 0 }),
    total: Type.Integer({ minimum: 0 }),
  }),
});
export type RegionFeature = Static<typeof RegionFeatureSchema>;

/** GET /map/regions: child polygons with event counts (the choropleth), a GeoJSON FeatureCollection. */
export const RegionMapSchema = Shape('RegionMap', {
  type: Type.Literal('FeatureCollection'),
  features: Type.Array(RegionFeatureSchema),
});
export type RegionMap = Static<typeof RegionMapSchema>;
