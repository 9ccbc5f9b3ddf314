import 'reflect-metadata';
import { describe, expect, it } from '@jest/globals';
import fc from 'fast-check';
import { plainToInstance } from 'class-transformer';
import { validateSync } from 'class-validator';
import {
  BBox, charLength, CsvOf, Cursor, endOfWorkingDay, Instant, InstantOrDay, Int, isCursor, isStrictDate, isStrictInstant, isWellFormedText, oneOf, Text,
} from './fields.js';

const pad = (n: number, w = 2) => String(n).padStart(w, '0');
/** Any day 2000-01-01 … 2100-12-31, as Y, M, D. */
const day = fc.date({ min: new Date('2000-01-01T00:00:00Z'), max: new Date('2100-12-31T00:00:00Z'), noInvalidDate: true })
  .map((d) => ({ y: d.getUTCFullYear(), m: d.getUTCMonth() + 1, d: d.getUTCDate() }));
const ymd = (x: { y: number; m: number; d: number }) => `${x.y}-${pad(x.m)}-${pad(x.d)}`;
const offset = fc.oneof(fc.constant('Z'), fc.tuple(fc.constantFrom('+', '-'), fc.integer({ min: 0, max: 14 }), fc.constantFrom(0, 30, 45))
  .map(([s, h, m]) => `${s}${pad(h)}:${pad(m)}`));

describe('strict dates and instants', () => {
  it('every real day in 2000–2100 is a date; the day after the month\'s last is not', () => {
    fc.assert(fc.property(day, (x) => {
      expect(isStrictDate(ymd(x))).toBe(true);
      const last = new Date(Date.UTC(x.y, x.m, 0)).getUTCDate();
      expect(isStrictDate(`${x.y}-${pad(x.m)}-${pad(last + 1)}`)).toBe(false);
    }));
    for (const bad of ['2026-02-29', '2026-02-30', '2100-02-29', '2026-04-31', '2026-00-10', '2026-13-01', '1999-12-31', '2101-01-01',
      '2026-1-01', ' 2026-01-01', '2026-01-01 ', '２０２６-01-01', '+02026-01-01']) expect([bad, isStrictDate(bad)]).toEqual([bad, false]);
    expect(isStrictDate('2000-02-29')).toBe(true);
    expect(isStrictDate('2028-02-29')).toBe(true);
  });

  it('an instant needs an offset and a real day; what it accepts, Date reads as the same moment', () => {
    fc.assert(fc.property(day, fc.integer({ min: 0, max: 23 }), fc.integer({ min: 0, max: 59 }), fc.integer({ min: 0, max: 59 }),
      fc.option(fc.integer({ min: 0, max: 999 })), offset, (x, h, mi, s, ms, off) => {
        const text = `${ymd(x)}T${pad(h)}:${pad(mi)}:${pad(s)}${ms === null ? '' : `.${pad(ms, 3)}`}${off}`;
        expect(isStrictInstant(text)).toBe(true);
        expect(Number.isNaN(Date.parse(text))).toBe(false);
        expect(isStrictInstant(text.replace(/(Z|[+-]\d\d:\d\d)$/, ''))).toBe(false); // no offset: whose time?
      }));
    for (const bad of ['2026-02-30T00:00:00Z', '2026-01-01T24:00:00Z', '2026-01-01T00:00:60Z', '2026-01-01T00:00Z', '2026-01-01 00:00:00Z',
      '2026-01-01t00:00:00z', '2026-01-01T00:00:00+0800', '2026-01-01T00:00:00+8', '1999-12-31T23:59:59Z', '2026-01-01', '', 'now'])
      expect([bad, isStrictInstant(bad)]).toEqual([bad, false]);
  });

  it('a date as `until` is 17:30 in Shanghai that day', () => {
    expect(endOfWorkingDay('2026-03-16')).toBe('2026-03-16T09:30:00.000Z');
    fc.assert(fc.property(day, (x) => { expect(endOfWorkingDay(ymd(x)).slice(0, 10)).toBe(ymd(x)); }));
  });
});

describe('cursors', () => {
  const encode = (s: string) => Buffer.from(s).toString('base64url');
  it('what the API issues is a cursor', () => {
    fc.assert(fc.property(fc.date({ min: new Date('2000-01-02T00:00:00Z'), max: new Date('2100-12-30T00:00:00Z'), noInvalidDate: true }), fc.uuid(),
      (at, id) => { expect(isCursor(encode(`${at.toISOString()}|${id}`))).toBe(true); }));
  });
  it('anything else is not', () => {
    fc.assert(fc.property(fc.string({ maxLength: 80 }), (s) => {
      // random text is a cursor only if it happens to decode to `<instant>|<uuid>`, which fc.string never produces
      expect(isCursor(s)).toBe(false);
      expect(isCursor(encode(s))).toBe(false);
    }));
    const id = '0192d3b0-0000-7000-8000-000000000000';
    for (const bad of [encode(`2026-02-30T00:00:00.000Z|${id}`), encode(`2026-01-01T00:00:00.000|${id}`), encode(`2026-01-01T00:00:00.000Z|${id}|x`),
      encode(`2026-01-01T00:00:00.000Z|not-a-uuid`), `${encode(`2026-01-01T00:00:00.000Z|${id}`)}=`, encode(`2026-01-01T00:00:00.000Z|${id}`).replace(/.$/, '+')])
      expect([bad, isCursor(bad)]).toEqual([bad, false]);
  });
});

describe('text', () => {
  it('counts code points and refuses lone surrogates and NUL', () => {
    expect(charLength('垃圾')).toBe(2);
    expect(charLength('😀😀')).toBe(2);
    expect(isWellFormedText('ok 😀')).toBe(true);
    for (const bad of ['\uD800', 'a\uDC00', 'x\u0000y']) expect(isWellFormedText(bad)).toBe(false);
  });
});

class Probe {
  @Text({ max: 5 }) text: string;
  @Int({ min: 1, max: 10, optional: true, query: true }) limit?: number;
  @Instant({ optional: true }) at?: string;
  @InstantOrDay({ optional: true }) until?: string;
  @BBox({ optional: true }) bbox?: number[];
  @CsvOf(oneOf(['a', 'b'] as const), { max: 2, optional: true }) list?: string[];
  @Cursor({ optional: true }) cursor?: string;
}

const errorsOf = (plain: object) => validateSync(plainToInstance(Probe, { text: 'x', ...plain }), { forbidUnknownValues: true }).map((e) => e.property);

describe('field decorators', () => {
  it('required text: present, non-blank, at most max code points', () => {
    expect(errorsOf({})).toEqual([]);
    expect(errorsOf({ text: '😀😀😀😀😀' })).toEqual([]);
    for (const text of [undefined, null, '', ' \t\u3000', '123456', 5]) expect([text, errorsOf({ text })]).toEqual([text, ['text']]);
  });
  it('optional fields may be absent but not null', () => {
    expect(errorsOf({ limit: null })).toEqual(['limit']);
    expect(errorsOf({ at: null })).toEqual(['at']);
  });
  it('query integers convert only plain decimal text', () => {
    expect(plainToInstance(Probe, { limit: '7' }).limit).toBe(7);
    for (const limit of ['', ' 7', '7 ', '0x7', '7e0', '7.0', '+7', 'NaN', '11', '0']) expect([limit, errorsOf({ limit })]).toEqual([limit, ['limit']]);
  });
  it('until takes an instant or a day (the end of that working day)', () => {
    expect(plainToInstance(Probe, { until: '2026-03-16' }).until).toBe('2026-03-16T09:30:00.000Z');
    expect(plainToInstance(Probe, { until: '2026-03-16T10:00:00+08:00' }).until).toBe('2026-03-16T10:00:00+08:00');
    for (const until of ['2026-02-30', '2026-03-16T10:00:00', '16/03/2026']) expect([until, errorsOf({ until })]).toEqual([until, ['until']]);
  });
  it('bbox is four finite numbers in range with min < max', () => {
    expect(errorsOf({ bbox: '119.5,30.5,119.9,30.9' })).toEqual([]);
    for (const bbox of ['119.5,30.5,119.9', '119.9,30.5,119.5,30.9', '-181,0,0,1', '0,-91,1,0', '0,0,1,91', '1e2,0,101,1', '0,0,Infinity,1', ''])
      expect([bbox, errorsOf({ bbox })]).toEqual([bbox, ['bbox']]);
  });
  it('comma lists are checked item by item', () => {
    expect(plainToInstance(Probe, { list: 'a,b' }).list).toEqual(['a', 'b']);
    expect(errorsOf({ list: 'a,c' })).toEqual(['list']);
    expect(errorsOf({ list: 'a,b,a' })).toEqual(['list']);
    expect(errorsOf({ list: '' })).toEqual(['list']);
  });
});
