/**
 * Seeded randomness for the living demo (演示数据生成): the same seed gives the same reports, places and texts, so a
 * test can replay a day. Two kinds: a stream (`DemoRandom`, consumed in order) for what is filed, and keyed draws
 * (`keyedUnit`) for what happens to an event, so that an event's fate depends on its id alone, never on how many
 * other events were looked at before it (a restart or a refused action does not reshuffle the county).
 */

/** A 32-bit hash of text (cyrb53's mixing, folded to 53 bits), stable across processes. */
function hash53(text: string, seed: number): number {
  let h1 = 0xdeadbeef ^ seed;
  let h2 = 0x41c6ce57 ^ seed;
  for (let i = 0; i < text.length; i++) {
    const ch = text.charCodeAt(i);
    h1 = Math.imul(h1 ^ ch, 2654435761);
    h2 = Math.imul(h2 ^ ch, 1597334677);
  }
  h1 = Math.imul(h1 ^ (h1 >>> 16), 2246822507) ^ Math.imul(h2 ^ (h2 >>> 13), 3266489909);
  h2 = Math.imul(h2 ^ (h2 >>> 16), 2246822507) ^ Math.imul(h1 ^ (h1 >>> 13), 3266489909);
  return 4294967296 * (2097151 & h2) + (h1 >>> 0);
}

/** A number in [0, 1) determined by the seed and the key parts alone. */
export function keyedUnit(seed: number, ...parts: (string | number)[]): number {
  return hash53(parts.join('|'), seed >>> 0) / 2 ** 53;
}

/** A stream of numbers in [0, 1) (sfc32), with the draws the generator needs. */
export class DemoRandom {
  private a: number;
  private b: number;
  private c: number;
  private d: number;

  constructor(seed: number) {
    this.a = 0x9e3779b9;
    this.b = 0x243f6a88;
    this.c = 0xb7e15162;
    this.d = seed >>> 0;
    for (let i = 0; i < 15; i++) this.next();
  }

  next(): number {
    this.a >>>= 0; this.b >>>= 0; this.c >>>= 0; this.d >>>= 0;
    let t = (this.a + this.b) | 0;
    this.a = this.b ^ (this.b >>> 9);
    this.b = (this.c + (this.c << 3)) | 0;
    this.c = (this.c << 21) | (this.c >>> 11);
    this.d = (this.d + 1) | 0;
    t = (t + this.d) | 0;
    this.c = (this.c + t) | 0;
    return (t >>> 0) / 4294967296;
  }

  /** An integer in [lo, hi]. */
  int(lo: number, hi: number): number {
    return lo + Math.floor(this.next() * (hi - lo + 1));
  }

  pick<T>(items: readonly T[]): T {
    if (items.length === 0) throw new Error('pick from an empty list');
    return items[Math.floor(this.next() * items.length)]!;
  }

  /** An exponential waiting time with mean 1/rate. */
  exponential(rate: number): number {
    return -Math.log(1 - this.next()) / rate;
  }

  /** 16 bytes (the random part of an UUID v7 whose time the caller sets). */
  bytes16(): Uint8Array {
    const out = new Uint8Array(16);
    for (let i = 0; i < 16; i++) out[i] = Math.floor(this.next() * 256);
    return out;
  }
}

/** Picks by weight: `u` in [0, 1) (from a stream or a keyed draw). */
export function weighted<T>(items: readonly T[], weightOf: (item: T) => number, u: number): T {
  const total = items.reduce((s, i) => s + weightOf(i), 0);
  let x = u * total;
  for (const item of items) {
    x -= weightOf(item);
    if (x < 0) return item;
  }
  return items[items.length - 1]!;
}
