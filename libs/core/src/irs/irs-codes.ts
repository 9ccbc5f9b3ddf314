/**
 * The two keys of an IRS lookup: the 居民身份证号码 (GB 11643, checked in pii/personal-data.ts) and the
 * 统一社会信用代码 (unified social credit code, GB 32100-2015). Pure functions, shared by the API's field checks and
 * the lookup service.
 */
import { idNumberProblem } from '../pii/personal-data.js';

/** The 31 characters of GB 32100 (0–9 and the capitals without I, O, Z, S, V), in the order of their values 0–30. */
export const CREDIT_CODE_CHARS = '0123456789ABCDEFGHJKLMNPQRTUWXY';
const WEIGHTS = [1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28];

/**
 * The syntax of a 统一社会信用代码: 登记管理部门代码 and 机构类别代码 (2 characters), the 6-digit division code of the
 * registering authority, the 9-character 主体标识码 (organisation code), and the check character. Lower case is
 * accepted and upper-cased (people type it).
 */
export const CREDIT_CODE_PATTERN = /^[0-9A-HJ-NPQRTUWXYa-hj-npqrtuwxy]{2}\d{6}[0-9A-HJ-NPQRTUWXYa-hj-npqrtuwxy]{10}$/;

export const normalizeCreditCode = (value: string) => value.trim().toUpperCase();

/** The GB 32100 check character of the first 17 characters: C18 = 31 − (Σ value·weight mod 31), 31 meaning 0. */
export function creditCodeCheckCharacter(first17: string): string {
  let sum = 0;
  for (let i = 0; i < 17; i++) sum += CREDIT_CODE_CHARS.indexOf(first17[i]!) * WEIGHTS[i]!;
  const c = 31 - (sum % 31);
  return CREDIT_CODE_CHARS[c === 31 ? 0 : c]!;
}

/** Why a credit code is not valid (syntax, check character), or null. */
export function creditCodeProblem(raw: string): string | null {
  const value = normalizeCreditCode(raw);
  if (!CREDIT_CODE_PATTERN.test(value)) {
    return 'must be an 18-character unified social credit code: 2 characters, a 6-digit division code, 10 characters (digits and capitals without I, O, Z, S, V)';
  }
  if (value[17] !== creditCodeCheckCharacter(value.slice(0, 17))) return 'has a wrong check character (GB 32100)';
  return null;
}

/** Why an ID number is not valid (syntax, birth date, check character), or null; the message does not repeat the number. */
export function lookupIdNumberProblem(raw: string, today = new Date()): string | null {
  const problem = idNumberProblem(raw, today);
  if (problem === null) return null;
  // idNumberProblem names the birth date it could not read: keep the message free of the number's digits
  return problem.startsWith('has an impossible birth date') ? 'has an impossible birth date' : problem;
}

