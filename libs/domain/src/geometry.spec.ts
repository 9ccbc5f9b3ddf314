import { describe, expect, it } from '@jest/globals';
import fc from 'fast-check';
import { multiPolygonContains, PolygonIndex } from './geometry.js';
import type { MultiPolygonCoords } from './geometry.js';

const square = (x: number, y: number, s: number) => [[x, y], [x + s, y], [x + s, y + s], [x, y + s], [x, y]] as [number, number][];

describe('point in polygon', () => {
  const withHole: MultiPolygonCoords = [[square(0, 0, 10), square(4, 4, 2)], [square(20, 20, 1)]];
  it('counts holes as outside and finds every part of a multipolygon', () => {
    expect(multiPolygonContains(withHole, 1, 1)).toBe(true);
    expect(multiPolygonContains(withHole, 5, 5)).toBe(false);
    expect(multiPolygonContains(withHole, 20.5, 20.5)).toBe(true);
    expect(multiPolygonContains(withHole, 15, 15)).toBe(false);
  });

  it('a grid of squares: every interior point is found in exactly its own square', () => {
    const index = new PolygonIndex(Array.from({ length: 25 }, (_, k) => ({ code: `g${k}`, geom: [[square(k % 5, Math.floor(k / 5), 1)]] })));
    fc.assert(fc.property(fc.double({ min: 0.001, max: 4.999, noNaN: true }), fc.double({ min: 0.001, max: 4.999, noNaN: true }), (x, y) => {
      fc.pre(Math.abs(x - Math.round(x)) > 1e-9 && Math.abs(y - Math.round(y)) > 1e-9);
      expect(index.find(x, y)).toBe(`g${Math.floor(y) * 5 + Math.floor(x)}`);
    }));
    expect(index.find(-1, 2)).toBeNull();
  });
});
