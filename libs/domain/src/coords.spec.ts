import { describe, it, expect } from '@jest/globals';
import fc from 'fast-check';
import { gcj02ToWgs84, isInChina, wgs84ToGcj02 } from './coords.js';

/** Points comfortably inside the GCJ-02 box (≥ 0.1° from its edges, so the ~0.01° offset never crosses it). */
const inChina = fc.record({
  lng: fc.double({ min: 72.2, max: 137.6, noNaN: true }),
  lat: fc.double({ min: 1.0, max: 55.6, noNaN: true }),
});
/** Zhejiang and around: where the platform's data actually lives. */
const zhejiang = fc.record({
  lng: fc.double({ min: 118.0, max: 123.2, noNaN: true }),
  lat: fc.double({ min: 27.0, max: 31.2, noNaN: true }),
});

describe('coords: GCJ-02 ⇄ WGS84 (坐标转换)', () => {
  it('matches published reference points (eviltransform test vectors)', () => {
    const cases: Array<[number, number, number, number]> = [
      // wgsLng, wgsLat, gcjLng, gcjLat
      [121.5272106, 31.1774276, 121.531541859215, 31.17530398364597], // Shanghai
      [113.912316, 22.543847, 113.9171764808363, 22.540796131694766], // Shenzhen
      [116.377817, 39.911954, 116.38404722455657, 39.91334545536069], // Beijing
    ];
    for (const [wLng, wLat, gLng, gLat] of cases) {
      const [lng, lat] = wgs84ToGcj02(wLng, wLat);
      expect(lng).toBeCloseTo(gLng, 9);
      expect(lat).toBeCloseTo(gLat, 9);
      const [backLng, backLat] = gcj02ToWgs84(gLng, gLat);
      expect(Math.abs(backLng - wLng)).toBeLessThan(1e-7);
      expect(Math.abs(backLat - wLat)).toBeLessThan(1e-7);
    }
  });

  it('shifts points in Anji by a few hundred metres, not more', () => {
    const [lng, lat] = wgs84ToGcj02(119.68, 30.64); // 递铺, the county seat of 安吉县
    const dx = (lng - 119.68) * 111_320 * Math.cos((30.64 * Math.PI) / 180);
    const dy = (lat - 30.64) * 110_574;
    const metres = Math.hypot(dx, dy);
    expect(metres).toBeGreaterThan(100);
    expect(metres).toBeLessThan(1000);
  });

  it('round trip WGS84 → GCJ-02 → WGS84 is within 1e-7 degrees everywhere in China', () => {
    fc.assert(
      fc.property(inChina, ({ lng, lat }) => {
        const [gLng, gLat] = wgs84ToGcj02(lng, lat);
        const [wLng, wLat] = gcj02ToWgs84(gLng, gLat);
        return Math.abs(wLng - lng) < 1e-7 && Math.abs(wLat - lat) < 1e-7;
      }),
      { numRuns: 2000 },
    );
  });

  it('round trip GCJ-02 → WGS84 → GCJ-02 is within 1e-7 degrees in Zhejiang', () => {
    fc.assert(
      fc.property(zhejiang, ({ lng, lat }) => {
        const [wLng, wLat] = gcj02ToWgs84(lng, lat);
        const [gLng, gLat] = wgs84ToGcj02(wLng, wLat);
        return Math.abs(gLng - lng) < 1e-7 && Math.abs(gLat - lat) < 1e-7;
      }),
      { numRuns: 2000 },
    );
  });

  it('the conversion really moves points inside China', () => {
    fc.assert(
      fc.property(inChina, ({ lng, lat }) => {
        const [gLng, gLat] = wgs84ToGcj02(lng, lat);
        return gLng !== lng || gLat !== lat;
      }),
    );
  });

  it('leaves points outside China unchanged', () => {
    const outside = fc.oneof(
      fc.record({ lng: fc.double({ min: -180, max: 72.0, noNaN: true }), lat: fc.double({ min: -90, max: 90, noNaN: true }) }),
      fc.record({ lng: fc.double({ min: 137.9, max: 180, noNaN: true }), lat: fc.double({ min: -90, max: 90, noNaN: true }) }),
      fc.record({ lng: fc.double({ min: -180, max: 180, noNaN: true }), lat: fc.double({ min: 55.9, max: 90, noNaN: true }) }),
      fc.record({ lng: fc.double({ min: -180, max: 180, noNaN: true }), lat: fc.double({ min: -90, max: 0.8, noNaN: true }) }),
    );
    fc.assert(
      fc.property(outside, ({ lng, lat }) => {
        expect(isInChina(lng, lat)).toBe(false);
        expect(wgs84ToGcj02(lng, lat)).toEqual([lng, lat]);
        expect(gcj02ToWgs84(lng, lat)).toEqual([lng, lat]);
      }),
    );
    // London and San Francisco
    expect(wgs84ToGcj02(-0.1276, 51.5072)).toEqual([-0.1276, 51.5072]);
    expect(gcj02ToWgs84(-122.4194, 37.7749)).toEqual([-122.4194, 37.7749]);
  });

  it('knows Zhejiang is in China', () => {
    expect(isInChina(119.68, 30.64)).toBe(true);
    expect(isInChina(120.15, 30.28)).toBe(true);
  });
});
