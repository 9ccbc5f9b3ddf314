/**
 * 信息核查 (IRS): the Chinese text, the answer's shape (POST /api/v1/irs/person | /enterprise), and the checks the
 * dialog runs before sending. The server checks the same (check characters, the reason) and is the one that decides;
 * these only spare the dispatcher a round trip for a typo.
 */
import { creditCodeCheckCharacter, idCheckCharacter } from '@contracts/check-characters';

export type IrsKind = 'person' | 'enterprise';

export interface IrsPerson { name: string | null; idNumber: string | null; gender: '男' | '女' | null; birthYear: number | null; phone: string | null; address: string | null }
export interface IrsEnterprise { name: string | null; creditCode: string; legalPerson: string | null; address: string | null; status: string | null; establishedOn: string | null }
interface Lookup { found: boolean; subject: string; eventId: string | null; lookedUpAt: string }
export interface IrsPersonLookup extends Lookup { person: IrsPerson | null }
export interface IrsEnterpriseLookup extends Lookup { enterprise: IrsEnterprise | null }

export const REASON_MIN = 4;
export const REASON_MAX = 200;

export const IRS_T = {
  open: '信息核查',
  openHint: '通过 IRS 数据共享查询人员或企业信息（需填写事由，查询留痕）',
  title: '信息核查（IRS）',
  kinds: { person: '人员（身份证号）', enterprise: '企业（统一社会信用代码）' } as Record<IrsKind, string>,
  key: { person: '身份证号', enterprise: '统一社会信用代码' } as Record<IrsKind, string>,
  keyPlaceholder: { person: '18 位居民身份证号码', enterprise: '18 位统一社会信用代码' } as Record<IrsKind, string>,
  reason: '查询事由',
  reasonPlaceholder: '如：核实当事人身份、联系当事人处置事件（必填，记入审计日志）',
  event: '关联事件',
  notice: '每次查询均记录查询人、事由、关联事件和结果；查询结果已脱敏显示。',
  submit: '查询',
  close: '关闭',
  again: '重新查询',
  notFound: { person: '未查询到该人员的信息', enterprise: '未查询到该企业的信息' } as Record<IrsKind, string>,
  keyRequired: { person: '请输入身份证号', enterprise: '请输入统一社会信用代码' } as Record<IrsKind, string>,
  keyInvalid: { person: '身份证号格式或校验位不正确', enterprise: '统一社会信用代码格式或校验位不正确' } as Record<IrsKind, string>,
  reasonRequired: `请填写查询事由（${REASON_MIN}–${REASON_MAX} 个字）`,
  lookedUpAt: '查询时间',
  fields: {
    name: '姓名', idNumber: '身份证号', gender: '性别', birthYear: '出生年份', phone: '联系电话', address: '住址',
    entName: '企业名称', creditCode: '统一社会信用代码', legalPerson: '法定代表人', entAddress: '住所', status: '登记状态', establishedOn: '成立日期',
  },
  failed: '查询失败',
  errors: {
    400: '输入有误',
    403: '您的角色无权进行信息核查',
    404: '关联事件不存在或不在您的管辖范围内',
    429: '查询过于频繁，请稍后再试',
    502: 'IRS 数据服务暂时不可用（超时或出错），本次查询已记录，请稍后重试',
    503: 'IRS 数据服务未配置或暂不可用，请联系管理员',
  } as Record<number, string>,
  fieldNames: { idNumber: '身份证号', creditCode: '统一社会信用代码', reason: '查询事由', eventId: '关联事件' } as Record<string, string>,
};

/** GB 11643: 17 digits and the ISO 7064 MOD 11-2 check character (the API's own check, from libs/contracts). */
export function validIdNumber(raw: string): boolean {
  const v = raw.trim().toUpperCase();
  return /^[1-9]\d{16}[\dX]$/.test(v) && idCheckCharacter(v.slice(0, 17)) === v[17];
}

/** GB 32100: 18 characters of the 31-character alphabet, a 6-digit division code, and the check character. */
export function validCreditCode(raw: string): boolean {
  const v = raw.trim().toUpperCase();
  return /^[0-9A-HJ-NPQRTUWXY]{2}\d{6}[0-9A-HJ-NPQRTUWXY]{10}$/.test(v) && creditCodeCheckCharacter(v.slice(0, 17)) === v[17];
}

export const reasonOk = (reason: string) => {
  const n = [...reason.trim()].length;
  return n >= REASON_MIN && n <= REASON_MAX;
};

/** The request body: the key trimmed and upper-cased (what the server reads), the reason trimmed, the event if any. */
export function lookupBody(kind: IrsKind, key: string, reason: string, eventId?: string | null): Record<string, string> {
  const body: Record<string, string> = { [kind === 'person' ? 'idNumber' : 'creditCode']: key.trim().toUpperCase(), reason: reason.trim() };
  if (eventId) body.eventId = eventId;
  return body;
}

/** A refused or failed lookup in words: the status's sentence, and for a 400 the fields it names. */
export function lookupError(status: number, fields: { field: string }[] = []): string {
  const base = IRS_T.errors[status] ?? `${IRS_T.failed}（HTTP ${status}）`;
  if (status !== 400 || fields.length === 0) return base;
  return `${base}：${[...new Set(fields.map((f) => IRS_T.fieldNames[f.field] ?? f.field))].join('、')}`;
}
