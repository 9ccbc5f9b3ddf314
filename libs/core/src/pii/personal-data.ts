/**
 * Phone and ID numbers (手机号, 居民身份证号码): syntax, the GB 11643-1999 check, normal forms and masks.
 * Pure functions, shared by the API's field checks and the roster import.
 */
import { idCheckCharacter } from '#contracts';

/** A mainland mobile number: 11 digits, 1 then 3–9 (no +86, no separators). */
export const MOBILE_PATTERN = /^1[3-9]\d{9}$/;
/** The syntax of an 18-character ID number: 17 digits and a check character (0–9 or X; x accepted and upper-cased). */
export const ID_NUMBER_PATTERN = /^[1-9]\d{16}[\dXx]$/;

/** The GB 11643 check character of the first 17 digits (ISO 7064 MOD 11-2): one definition, in libs/contracts. */
export { idCheckCharacter };

export const normalizeIdNumber = (value: string) => value.trim().toUpperCase();
export const normalizePhone = (value: string) => value.trim();

/** Why an ID number is not valid (syntax, birth date, check character), or null. `today` is for tests. */
export function idNumberProblem(raw: string, today = new Date()): string | null {
  const value = normalizeIdNumber(raw);
  if (!ID_NUMBER_PATTERN.test(value)) return 'must be an 18-character ID number: 17 digits and a check digit (0–9 or X)';
  const y = Number(value.slice(6, 10));
  const m = Number(value.slice(10, 12));
  const d = Number(value.slice(12, 14));
  const birth = new Date(Date.UTC(y, m - 1, d));
  if (y < 1900 || m < 1 || m > 12 || birth.getUTCMonth() !== m - 1 || birth.getUTCDate() !== d || birth.getTime() > today.getTime()) {
    return `has an impossible birth date ${value.slice(6, 14)}`;
  }
  const check = idCheckCharacter(value.slice(0, 17));
  if (value[17] !== check) return `has a wrong check digit (GB 11643: expected ${check})`;
  return null;
}

export function phoneProblem(raw: string): string | null {
  return MOBILE_PATTERN.test(normalizePhone(raw)) ? null : 'must be a mainland mobile number: 11 digits starting 13–19 (no +86 or separators)';
}

/** 王**: the first character and at most three stars (how long a name is stays unclear). */
export const maskName = (name: string) => (name.length <= 1 ? '*' : `${name.slice(0, 1)}${'*'.repeat(Math.min(name.length - 1, 3))}`);
/** 138****5678 */
export const maskPhone = (phone: string) => `${phone.slice(0, 3)}****${phone.slice(-4)}`;
/** 330523********1234: the issuing county and the last four characters. */
export const maskIdNumber = (id: string) => `${id.slice(0, 6)}********${id.slice(-4)}`;
