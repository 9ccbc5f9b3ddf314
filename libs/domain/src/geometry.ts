/**
 * Point-in-polygon for GeoJSON-style (Multi)Polygons in lng/lat: even-odd ray casting over every ring, so holes
 * count as outside. Points exactly on an edge may fall either way; callers that must be exact at boundaries confirm
 * with PostGIS (ST_Intersects).
 */
export type Ring = ReadonlyArray<readonly [number, number]>;
export type PolygonCoords = ReadonlyArray<Ring>;
export type MultiPolygonCoords = ReadonlyArray<PolygonCoords>;
export type BBox = readonly [number, number, number, number];

export function ringContains(ring: Ring, lng: number, lat: number): boolean {
  let inside = false;
  for (let i = 0, j = ring.length - 1; i < ring.length; j = i++) {
    const [xi, yi] = ring[i]!;
    const [xj, yj] = ring[j]!;
    if ((yi > lat) !== (yj > lat) && lng < ((xj - xi) * (lat - yi)) / (yj - yi) + xi) inside = !inside;
  }
  return inside;
}

export function multiPolygonContains(mp: MultiPolygonCoords, lng: number, lat: number): boolean {
  for (const polygon of mp) {
    let inside = false;
    for (const ring of polygon) if (ringContains(ring, lng, lat)) inside = !inside;
    if (inside) return true;
  }
  return false;
}

export function bboxOf(mp: MultiPolygonCoords): BBox {
  let minX = Infinity; let minY = Infinity; let maxX = -Infinity; let maxY = -Infinity;
  for (const polygon of mp) for (const ring of polygon) for (const [x, y] of ring) {
    if (x < minX) minX = x; if (x > maxX) maxX = x; if (y < minY) minY = y; if (y > maxY) maxY = y;
  }
  return [minX, minY, maxX, maxY];
}

/** A small in-memory index of polygons by code: bbox filter, then the exact test. */
export class PolygonIndex {
  private readonly items: { code: string; bbox: BBox; geom: MultiPolygonCoords }[];

  constructor(items: Iterable<{ code: string; geom: MultiPolygonCoords }>) {
    this.items = [...items].map((i) => ({ ...i, bbox: bboxOf(i.geom) }));
  }

  get size(): number {
    return this.items.length;
  }

  /** The first polygon (in code order) containing the point, or null. */
  find(lng: number, lat: number): string | null {
    for (const i of this.items) {
      const [x0, y0, x1, y1] = i.bbox;
      if (lng < x0 || lng > x1 || lat < y0 || lat > y1) continue;
      if (multiPolygonContains(i.geom, lng, lat)) return i.code;
    }
    return null;
  }
}
