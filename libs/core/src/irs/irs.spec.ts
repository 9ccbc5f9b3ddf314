import { describe, expect, it } from '@jest/globals';
import fc from 'fast-check';
import { idCheckCharacter } from '../pii/personal-data.js';
import { CREDIT_CODE_CHARS, creditCodeCheckCharacter, creditCodeProblem, lookupIdNumberProblem } from './irs-codes.js';
import { loadIrsSettings } from './irs-config.js';
import { birthYearOf, cutAddress, genderOf, maskedIdNumber, maskedName, maskedPhone } from './irs-masking.js';

describe('统一社会信用代码 (GB 32100)', () => {
  it('accepts published codes and computes their check character', () => {
    // codes printed on public business licences (the standard's own example and a central enterprise's)
    for (const code of ['91350100M000100Y43', '91110000802100433B']) {
      expect([code, creditCodeProblem(code)]).toEqual([code, null]);
      expect(creditCodeCheckCharacter(code.slice(0, 17))).toBe(code[17]);
    }
    expect(creditCodeProblem('91350100m000100y43')).toBeNull(); // lower case is the same code
  });

  it('refuses every other check character, and letters outside the alphabet', () => {
    const code = '91350100M000100Y43';
    for (const c of CREDIT_CODE_CHARS) if (c !== code[17]) expect(creditCodeProblem(code.slice(0, 17) + c)).toMatch(/check character/);
    for (const bad of ['91350100M000100I43', '91350100M000100O43', '9135010AM000100Y43', '91350100M000100Y4', `${code}0`, '']) {
      expect([bad, creditCodeProblem(bad)]).toEqual([bad, expect.stringMatching(/must be an 18-character/)]);
    }
  });

  it('finds every single-character change of a valid code (property)', () => {
    const body = fc.array(fc.constantFrom(...CREDIT_CODE_CHARS), { minLength: 17, maxLength: 17 }).map((a) => {
      const s = a.join('');
      return `${s.slice(0, 2)}${String(Math.abs(s.charCodeAt(2) * 7919) % 1_000_000).padStart(6, '0')}${s.slice(8)}`;
    });
    fc.assert(fc.property(body, fc.integer({ min: 0, max: 17 }), fc.integer({ min: 1, max: 30 }), (first17, at, shift) => {
      const code = first17 + creditCodeCheckCharacter(first17);
      expect(creditCodeProblem(code)).toBeNull();
      if (at >= 2 && at < 8) return; // the division code is digits: a letter there is a syntax error, tested above
      const i = CREDIT_CODE_CHARS.indexOf(code[at]!);
      const changed = code.slice(0, at) + CREDIT_CODE_CHARS[(i + shift) % 31] + code.slice(at + 1);
      expect(creditCodeProblem(changed)).not.toBeNull();
    }), { numRuns: 500 });
  });
});

describe('身份证号 for a lookup', () => {
  it('reads the GB 11643 check and the birth date, without repeating the number\'s digits', () => {
    const first17 = '33052319850312123';
    const id = first17 + idCheckCharacter(first17);
    expect(lookupIdNumberProblem(id)).toBeNull();
    expect(lookupIdNumberProblem(`${first17}${id[17] === '0' ? '1' : '0'}`)).toMatch(/check digit/);
    const month13 = `3305231985131212${'3'}`;
    const problem = lookupIdNumberProblem(month13 + idCheckCharacter(month13));
    expect(problem).toBe('has an impossible birth date');
  });
});

describe('masking an IRS answer', () => {
  it('names, phones and ID numbers', () => {
    expect(maskedName('王伟')).toBe('王*');
    expect(maskedName('欧阳娜娜（测试）')).toBe('欧***');
    expect([maskedName(''), maskedName(null), maskedName({ a: 1 })]).toEqual([null, null, null]);
    expect(maskedPhone('13800001234')).toBe('138****1234');
    expect(maskedPhone('138-0000-1234')).toBe('138****1234');
    expect(maskedPhone('0572-5123456')).toBe('****3456');
    expect(maskedPhone('110')).toBe('****');
    expect(maskedIdNumber('33052319850312123X')).toBe('330523********123X');
    expect(maskedIdNumber('330523198503121')).toBe('******************'); // an old 15-digit number is hidden whole
    expect(genderOf('男')).toBe('男');
    expect(genderOf('2')).toBe('女');
    expect(genderOf('未知')).toBeNull();
    expect(birthYearOf('1985-03-12', '330523198503121234')).toBe(1985);
    expect(birthYearOf(undefined, '330523197001011234')).toBe(1970);
  });

  it('cuts an address to the township or street, and hides what it cannot read', () => {
    expect(cutAddress('浙江省湖州市安吉县递铺街道胜利西路12号')).toBe('浙江省湖州市安吉县递铺街道***');
    expect(cutAddress('浙江省安吉县孝丰镇城市花园3幢201室')).toBe('浙江省安吉县孝丰镇***');
    expect(cutAddress('安吉县天荒坪镇余村')).toBe('安吉县天荒坪镇***');
    expect(cutAddress('浙江省余姚市梨洲街道')).toBe('浙江省余姚市梨洲街道');
    expect(cutAddress('上海市浦东新区花木街道锦绣路1001弄')).toBe('上海市浦东新区花木街道***');
    expect(cutAddress('浙江省测试县人民路12号')).toBe('浙江省测试县***');
    expect(cutAddress('浙江省杭州市西湖区文三路90号')).toBe('浙江省杭州市西湖区***');
    expect(cutAddress('胜利西路12号')).toBe('***');
    expect(cutAddress('  ')).toBeNull();
    expect(cutAddress(42)).toBe('***');
  });

  it('never passes a house number through (property)', () => {
    const part = fc.constantFrom('浙江省', '湖州市', '安吉县', '递铺街道', '孝丰镇', '杭垓乡', '');
    const street = fc.tuple(fc.constantFrom('胜利西路', '城市花园', '镇海路', '乡村大道', '街心公园'), fc.integer({ min: 1, max: 999 }));
    fc.assert(fc.property(fc.array(part, { maxLength: 4 }), street, (parts, [road, no]) => {
      const cut = cutAddress(`${parts.join('')}${road}${no}号`)!;
      expect(cut).not.toContain(`${no}号`);
      expect(cut).not.toContain(road);
      expect(cut.endsWith('***')).toBe(true);
    }), { numRuns: 300 });
  });
});

describe('loadIrsSettings', () => {
  it('has defaults and names a bad variable', () => {
    expect(loadIrsSettings({}).lookups).toMatchObject({ IRS_LOOKUPS_PER_MINUTE: 20, IRS_LOOKUPS_PER_DAY: 300, IRS_LOOKUP_ATTEMPTS: 2 });
    expect(loadIrsSettings({ IRS_LOOKUPS_PER_MINUTE: '5' }).lookups.IRS_LOOKUPS_PER_MINUTE).toBe(5);
    expect(() => loadIrsSettings({ IRS_LOOKUPS_PER_MINUTE: '0' })).toThrow(/IRS_LOOKUPS_PER_MINUTE/);
    expect(() => loadIrsSettings({ IRS_LOOKUP_ATTEMPTS: 'many' })).toThrow(/IRS_LOOKUP_ATTEMPTS/);
  });
});
