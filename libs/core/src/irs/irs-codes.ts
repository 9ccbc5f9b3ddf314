/**
 * The two keys of an IRS lookup: the 居民身份证号码 (GB 11643, checked in pii/personal-data.ts) and the
 * 统一社会信用代码 (unified social credit code, GB 32100-2015). Pure functions, shared by the API's field checks and
 * the lookup service.
 */
import { CREDIT_CODE_CHARS, creditCodeCheckCharacter } from '#contracts';
import { idNumberProblem } from '../pii/personal-data.js';

// the alphabet and the check character: one definition, in libs/contracts (the township page checks with it too)
export { CREDIT_CODE_CHARS, creditCodeCheckCharacter };

/**
 * The syntax of a 统一社会信用代码: 登记管理部门代码 and 机构类别代码 (2 characters), the 6-digit division code of the
 * registering authority, the 9-character 主体标识码 (organisation code), and the check character. Lower case is
 * accepted and upper-cased (people type it).
 */
export const CREDIT_CODE_PATTERN = /^[0-9A-HJ-NPQRTUWXYa-hj-npqrtuwxy]{2}\d{6}[0-9A-HJ-NPQRTUWXYa-hj-npqrtuwxy]{10}$/;

export const normalizeCreditCode = (value: string) => value.trim().toUpperCase();

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

