import { createHash } from 'node:crypto';

/** Synthetic answers of the IRS data interfaces: deterministic per key, obviously fake (测试), never a real person. */
const SURNAMES = ['王', '李', '张', '刘', '陈', '杨', '赵', '黄', '周', '吴'];
const GIVEN = ['伟', '芳', '娜', '敏', '静', '磊', '洋', '勇', '艳', '杰', '军', '霞'];
const STREETS = ['人民路', '解放路', '幸福街', '工业大道', '文化路', '青年路'];
const TRADES = ['建材', '农业科技', '物流', '食品', '纺织', '电子'];

const bytesOf = (key: string) => createHash('sha256').update(key).digest();

/** GB 11643 check digit of an 18-digit 身份证号. */
export function idCheckDigit(first17: string): string {
  const weights = [7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2];
  const sum = [...first17].reduce((s, d, i) => s + Number(d) * weights[i], 0);
  return '10X98765432'[sum % 11];
}

export type Lookup<T> = { status: 200 | 400; body: { code: string; msg: string; data: T | null } };

const NOT_FOUND = { status: 200, body: { code: '01', msg: '未查询到数据', data: null } } as const;

/**
 * A person by 身份证号. Nobody is behind a number with a wrong check digit, nor behind the sequence code 000 (digits
 * 15–17; the registry starts at 001): the sandbox's way to ask for "no record" with a valid number.
 */
export function personByIdNumber(idNumber: string | null): Lookup<Record<string, string>> {
  if (!idNumber || !/^\d{17}[\dX]$/.test(idNumber)) return { status: 400, body: { code: '02', msg: '参数错误：idNumber', data: null } };
  if (idCheckDigit(idNumber.slice(0, 17)) !== idNumber[17] || idNumber.slice(14, 17) === '000') return NOT_FOUND;
  const b = bytesOf(idNumber);
  const birth = `${idNumber.slice(6, 10)}-${idNumber.slice(10, 12)}-${idNumber.slice(12, 14)}`;
  return { status: 200, body: { code: '00', msg: '成功', data: {
    name: `${SURNAMES[b[0] % SURNAMES.length]}${GIVEN[b[1] % GIVEN.length]}（测试）`,
    idNumber, gender: Number(idNumber[16]) % 2 === 1 ? '男' : '女', birthDate: birth,
    phone: `1380000${String(b.readUInt16BE(2) % 10000).padStart(4, '0')}`,
    address: `浙江省测试县${STREETS[b[4] % STREETS.length]}${(b[5] % 200) + 1}号`,
  } } };
}

const CREDIT_CODE = /^[0-9A-HJ-NPQRTUWXY]{2}\d{6}[0-9A-HJ-NPQRTUWXY]{10}$/;

/**
 * An enterprise by 统一社会信用代码. No enterprise is behind an organisation code (characters 9–16) of zeros: the
 * sandbox's way to ask for "no record". The check character is not looked at here (the county's API checks it before
 * calling), so that a test may send the gateway any well-formed code.
 */
export function enterpriseByCreditCode(code: string | null): Lookup<Record<string, string>> {
  if (!code || !CREDIT_CODE.test(code)) return { status: 400, body: { code: '02', msg: '参数错误：creditCode', data: null } };
  if (code.slice(8, 16) === '00000000') return NOT_FOUND;
  const b = bytesOf(code);
  return { status: 200, body: { code: '00', msg: '成功', data: {
    name: `测试县${TRADES[b[0] % TRADES.length]}有限公司（测试）`, creditCode: code,
    legalPerson: `${SURNAMES[b[1] % SURNAMES.length]}${GIVEN[b[2] % GIVEN.length]}`,
    address: `浙江省测试县${STREETS[b[3] % STREETS.length]}${(b[4] % 300) + 1}号`, status: '存续',
    establishedOn: `20${String(b[5] % 24).padStart(2, '0')}-0${(b[6] % 9) + 1}-1${b[7] % 10}`,
  } } };
}

let orderSeq = 0;
/** A synthetic 12345 work order in DOMAIN 4.4's fields (form values are strings). */
export function syntheticWorkOrder(now: Date, override: Record<string, unknown> = {}): Record<string, string> {
  orderSeq += 1;
  const day = new Date(now.getTime() + 8 * 3600_000).toISOString().slice(0, 10).replace(/-/g, '');
  const datetime = (ms: number) => new Date(ms + 8 * 3600_000).toISOString().slice(0, 19).replace('T', ' ');
  const base: Record<string, string> = {
    orderNo: `ZJ12345-${day}-${String(process.pid % 1000).padStart(3, '0')}${String(orderSeq).padStart(5, '0')}`,
    channel: '电话', appealType: '求助', category: '城乡建设/路灯',
    title: '路灯不亮（测试工单）', content: '市民来电反映：幸福路与人民路交叉口路灯连续三晚不亮，夜间出行不便。（测试数据）',
    citizenName: '张先生', citizenPhone: '13800001234', address: '幸福路与人民路交叉口',
    lng: '119.6817', lat: '30.6383', regionCode: '330523',
    isUrgent: '0', handleUnit: '', isRepeat: '0', parentOrderNo: '', attachments: '[]',
    signDeadline: datetime(now.getTime() + 2 * 3600_000), handleDeadline: datetime(now.getTime() + 3 * 86400_000),
    evaluateDeadline: datetime(now.getTime() + 5 * 86400_000),
  };
  for (const [k, v] of Object.entries(override)) {
    if (v === undefined || v === null) delete base[k];
    else base[k] = typeof v === 'string' ? v : JSON.stringify(v);
  }
  return base;
}
