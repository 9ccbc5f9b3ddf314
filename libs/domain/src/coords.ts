/**
 * Coordinates (坐标): GCJ-02 ⇄ WGS84.
 *
 * Grid141 stores everything in WGS84 / CGCS2000 (EPSG:4326; the two differ by centimetres). Phone map SDKs
 * (高德/腾讯) and the DataV outlines use GCJ-02 ("火星坐标", the obfuscated datum mandated for published maps in
 * China), which is offset from WGS84 by a few hundred metres. Inputs in GCJ-02 are converted on the way in.
 *
 * The forward transform is the published algorithm (Krasovsky 1940 ellipsoid); there is no closed-form inverse,
 * so `gcj02ToWgs84` iterates the forward transform until it maps back to the input within 1e-9 degrees
 * (far below the 1e-7 degrees ≈ 1 cm the platform needs). Outside China both transforms are the identity.
 * Pure functions: no I/O, no dependencies.
 */

/** Semi-major axis of the Krasovsky 1940 ellipsoid, metres. */
const A = 6378245.0;
/** First eccentricity squared of the Krasovsky 1940 ellipsoid. */
const EE = 0.00669342162296594323;

/**
 * Whether a point lies in the rough bounding box where GCJ-02 applies. Outside it, GCJ-02 = WGS84.
 * (The usual coarse box; Taiwan, Hong Kong and Macau handling is not needed for a Zhejiang platform.)
 */
export function isInChina(lng: number, lat: number): boolean {
  return lng >= 72.004 && lng <= 137.8347 && lat >= 0.8293 && lat <= 55.8271;
}

function transformLat(x: number, y: number): number {
  let ret = -100.0 + 2.0 * x + 3.0 * y + 0.2 * y * y + 0.1 * x * y + 0.2 * Math.sqrt(Math.abs(x));
  ret += ((20.0 * Math.sin(6.0 * x * Math.PI) + 20.0 * Math.sin(2.0 * x * Math.PI)) * 2.0) / 3.0;
  ret += ((20.0 * Math.sin(y * Math.PI) + 40.0 * Math.sin((y / 3.0) * Math.PI)) * 2.0) / 3.0;
  ret += ((160.0 * Math.sin((y / 12.0) * Math.PI) + 320 * Math.sin((y * Math.PI) / 30.0)) * 2.0) / 3.0;
  return ret;
}

function transformLng(x: number, y: number): number {
  let ret = 300.0 + x + 2.0 * y + 0.1 * x * x + 0.1 * x * y + 0.1 * Math.sqrt(Math.abs(x));
  ret += ((20.0 * Math.sin(6.0 * x * Math.PI) + 20.0 * Math.sin(2.0 * x * Math.PI)) * 2.0) / 3.0;
  ret += ((20.0 * Math.sin(x * Math.PI) + 40.0 * Math.sin((x / 3.0) * Math.PI)) * 2.0) / 3.0;
  ret += ((150.0 * Math.sin((x / 12.0) * Math.PI) + 300.0 * Math.sin((x / 30.0) * Math.PI)) * 2.0) / 3.0;
  return ret;
}

/** The GCJ-02 offset (dLng, dLat) in degrees at a WGS84 point inside China. */
function offset(lng: number, lat: number): [number, number] {
  const dLat0 = transformLat(lng - 105.0, lat - 35.0);
  const dLng0 = transformLng(lng - 105.0, lat - 35.0);
  const radLat = (lat / 180.0) * Math.PI;
  const sinLat = Math.sin(radLat);
  const magic = 1 - EE * sinLat * sinLat;
  const sqrtMagic = Math.sqrt(magic);
  const dLat = (dLat0 * 180.0) / (((A * (1 - EE)) / (magic * sqrtMagic)) * Math.PI);
  const dLng = (dLng0 * 180.0) / ((A / sqrtMagic) * Math.cos(radLat) * Math.PI);
  return [dLng, dLat];
}

/** WGS84 → GCJ-02. Returns `[lng, lat]`; points outside China are returned unchanged. */
export function wgs84ToGcj02(lng: number, lat: number): [number, number] {
  if (!isInChina(lng, lat)) return [lng, lat];
  const [dLng, dLat] = offset(lng, lat);
  return [lng + dLng, lat + dLat];
}

/** Convergence threshold of the inverse, degrees (1e-9° ≈ 0.1 mm). */
const INVERSE_EPSILON = 1e-9;
const INVERSE_MAX_ITERATIONS = 30;

/**
 * GCJ-02 → WGS84. Returns `[lng, lat]`; points outside China are returned unchanged.
 * Fixed-point iteration on the forward transform: w ← w − (wgs84ToGcj02(w) − g). The offset varies slowly
 * (its derivative is ~1e-3), so each step gains about three digits; 3–4 steps reach 1e-9 degrees.
 */
export function gcj02ToWgs84(lng: number, lat: number): [number, number] {
  if (!isInChina(lng, lat)) return [lng, lat];
  let wLng = lng;
  let wLat = lat;
  for (let i = 0; i < INVERSE_MAX_ITERATIONS; i++) {
    // Use the raw offset so that a point near the box edge keeps converging instead of flipping to identity.
    const [dLng, dLat] = offset(wLng, wLat);
    const errLng = wLng + dLng - lng;
    const errLat = wLat + dLat - lat;
    wLng -= errLng;
    wLat -= errLat;
    if (Math.abs(errLng) < INVERSE_EPSILON && Math.abs(errLat) < INVERSE_EPSILON) break;
  }
  return [wLng, wLat];
}
