/** The map API (地图): clusters by the 141 hierarchy, map cells, single events, and heatmap cells. */
import { Type } from '@sinclair/typebox';
import type { Static } from '@sinclair/typebox';
import { EVENT_STATUSES, WARNINGS } from '#domain';
import { Closed, Shape, StringEnum, Uuid } from './schema.js';
import { URGENCIES } from './events.js';

/** What a map/events answer holds at a zoom: hierarchy bubbles (township, village), map cells, or single events. */
export const MAP_MODES = ['township', 'village', 'cell', 'event'] as const;
export type MapMode = (typeof MAP_MODES)[number];

const Count = Type.Integer({ minimum: 0 });
const PointGeometry = Closed({
  type: Type.Literal('Point'),
  coordinates: Type.Array(Type.Number(), { minItems: 2, maxItems: 2, description: '[lng, lat], WGS84' }),
});

export const MapCountsSchema = Closed({
  count: Type.Integer({ minimum: 1, description: 'Events matching the filters (within the caller\'s jurisdiction).' }),
  byStatus: Closed({
    reported: Type.Optional(Count), accepted: Type.Optional(Count), dispatched: Type.Optional(Count), handling: Type.Optional(Count),
    handled: Type.Optional(Count), closed: Type.Optional(Count), rejected: Type.Optional(Count), merged: Type.Optional(Count),
    suspended: Type.Optional(Count),
  }, { description: 'Counts by status (statuses with none left out).' }),
  byWarning: Closed({ none: Count, yellow: Count, red: Count }),
});

/** A bubble of the 141 hierarchy: one township (乡镇) or village/community (村社区), at its representative point. */
export const MapRegionClusterSchema = Shape('MapRegionCluster', {
  type: Type.Literal('Feature'),
  geometry: PointGeometry,
  properties: Closed({
    kind: Type.Literal('region'),
    code: Type.String(),
    name: Type.String(),
    level: StringEnum(['township', 'village'] as const),
    ...MapCountsSchema.properties,
  }),
});

/** A map cell (a square of cellSize degrees) at its centre. */
export const MapCellClusterSchema = Shape('MapCellCluster', {
  type: Type.Literal('Feature'),
  geometry: PointGeometry,
  properties: Closed({
    kind: Type.Literal('cell'),
    bbox: Type.Array(Type.Number(), { minItems: 4, maxItems: 4, description: 'The cell: minLng, minLat, maxLng, maxLat.' }),
    ...MapCountsSchema.properties,
  }),
});

/** A single event: just what a marker needs. */
export const MapEventPointSchema = Shape('MapEventPoint', {
  type: Type.Literal('Feature'),
  geometry: PointGeometry,
  properties: Closed({
    kind: Type.Literal('event'),
    id: Uuid(),
    code: Type.String(),
    categoryCode: Type.String(),
    status: StringEnum(EVENT_STATUSES),
    warning: StringEnum(WARNINGS),
    urgency: StringEnum(URGENCIES),
  }),
});

/** GET /map/events: a GeoJSON FeatureCollection of one kind of feature, chosen by zoom and by how many events are in view. */
export const MapEventsSchema = Shape('MapEvents', {
  type: Type.Literal('FeatureCollection'),
  mode: StringEnum(MAP_MODES, { description: 'township/village: hierarchy bubbles; cell: map cells; event: single events.' }),
  zoom: Type.Integer(),
  cellSize: Type.Union([Type.Number(), Type.Null()], { description: 'Side of a map cell in degrees (cell and event modes).' }),
  total: Type.Integer({ minimum: 0, description: 'Sum of the features\' counts (event mode: the number of events).' }),
  features: Type.Array(Type.Union([MapRegionClusterSchema, MapCellClusterSchema, MapEventPointSchema])),
});
export type MapCounts = Static<typeof MapCountsSchema>;
export type MapEvents = Static<typeof MapEventsSchema>;
export type MapRegionCluster = Static<typeof MapRegionClusterSchema>;
export type MapCellCluster = Static<typeof MapCellClusterSchema>;
export type MapEventPoint = Static<typeof MapEventPointSchema>;

/** GET /map/heat: open events per map cell, as [lng, lat, weight] at the cell centres (leaflet.heat's input). */
export const MapHeatSchema = Shape('MapHeat', {
  zoom: Type.Integer(),
  cellSize: Type.Number({ description: 'Side of a cell in degrees.' }),
  total: Type.Integer({ minimum: 0 }),
  max: Type.Integer({ minimum: 0, description: 'The largest weight (for scaling).' }),
  cells: Type.Array(Type.Array(Type.Number(), { minItems: 3, maxItems: 3 }), { description: '[lng, lat, weight] per non-empty cell.' }),
});
export type MapHeat = Static<typeof MapHeatSchema>;
