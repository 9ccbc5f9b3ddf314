/**
 * What a dispatcher sees of an IRS answer (DOMAIN 5.2: personal data masked by default). Pure functions: each takes
 * the gateway's value as it came (any type: the gateway does not promise shapes) and gives the masked text or null.
 * They fail closed — a value they cannot read is hidden, never passed through.
 */
import { maskIdNumber, maskName, maskPhone } from '../pii/personal-data.js';

const str = (v: unknown, max = 200): string | null => {
  if (typeof v !== 'string' && typeof v !== 'number') return null;
  const s = String(v).trim();
  return s === '' ? null : s.slice(0, max);
};

/** 王**: the surname and at most three stars (personal-data.ts); a blank or missing name is null. */
export function maskedName(v: unknown): string | null {
  const s = str(v, 64);
  return s === null ? null : maskName(s);
}

/** 138****5678 for a mobile number; any other number (a landline, an extension) keeps only its last four digits. */
export function maskedPhone(v: unknown): string | null {
  const s = str(v, 40);
  if (s === null) return null;
  const digits = s.replace(/\D/g, '');
  if (/^1[3-9]\d{9}$/.test(digits)) return maskPhone(digits);
  return digits.length >= 7 ? `****${digits.slice(-4)}` : '****';
}

/** 330523********1234: the issuing county and the last four characters; anything that is not 18 characters is hidden. */
export function maskedIdNumber(v: unknown): string | null {
  const s = str(v, 40);
  if (s === null) return null;
  return /^\d{17}[\dXx]$/.test(s) ? maskIdNumber(s.toUpperCase()) : '******************';
}

/** The year of birth: from `birthDate` (YYYY-MM-DD or YYYYMMDD) when readable, else from the ID number's digits 7–10. */
export function birthYearOf(birthDate: unknown, idNumber: string): number | null {
  const s = str(birthDate, 40);
  const m = s === null ? null : /^(\d{4})-?\d{2}-?\d{2}/.exec(s);
  const year = Number(m ? m[1] : idNumber.slice(6, 10));
  return Number.isInteger(year) && year >= 1880 && year <= 2200 ? year : null;
}

/** 男 / 女 as the gateway says it (or 1/2, M/F); anything else is null. */
export function genderOf(v: unknown): '男' | '女' | null {
  const s = str(v, 8);
  if (s === null) return null;
  if (['男', '1', 'M', 'm', 'male'].includes(s)) return '男';
  if (['女', '2', 'F', 'f', 'female'].includes(s)) return '女';
  return null;
}

// The administrative levels of a Chinese address, in order. Each part is a short name ending in its level's suffix and
// may not contain another level's suffix, so that a road name ("城市花园", "镇海路") is never taken for a level.
const NAME = '[^省市县区旗镇乡街道路巷弄号村组栋幢室\\d]';
const LEVELS: RegExp[] = [
  new RegExp(`^(?:北京市|天津市|上海市|重庆市|${NAME}{2,7}?(?:省|自治区|特别行政区))`),
  new RegExp(`^${NAME}{2,9}?(?:市|自治州|地区|盟)`),
  new RegExp(`^${NAME}{1,9}?(?:县|区|市|旗)`),
  new RegExp(`^${NAME}{1,9}?(?:街道|镇|乡)`),
];

/**
 * An address cut to the township (乡镇/街道) level, the rest replaced by ***: "浙江省湖州市安吉县递铺街道胜利西路 12 号"
 * → "浙江省湖州市安吉县递铺街道***". Levels that are missing are skipped (a county-level city has no 市 before its
 * 县). When no level can be read at all, nothing of the address is shown.
 */
export function cutAddress(v: unknown): string | null {
  const s = str(v, 400);
  if (s === null) return null;
  const text = s.replace(/\s+/g, '');
  let kept = '';
  let rest = text;
  let township = false;
  for (const [i, re] of LEVELS.entries()) {
    const m = re.exec(rest);
    if (!m) continue;
    kept += m[0];
    rest = rest.slice(m[0].length);
    if (i === LEVELS.length - 1) township = true;
  }
  if (kept === '') return '***';
  return township && rest === '' ? kept : `${kept}***`;
}
