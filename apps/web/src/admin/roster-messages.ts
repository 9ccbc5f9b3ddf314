/** The roster import's problem messages (English from the API) in Chinese for the table; an unknown one is shown as it is. */
const RULES: [RegExp, (m: RegExpExecArray) => string][] = [
  [/^is missing$/, () => '缺少此项'],
  [/^is longer than 50 characters$/, () => '超过 50 个字'],
  [/wrong check digit \(GB 11643: expected (\S+)\)/, (m) => `校验码错误（按 GB 11643 应为 ${m[1]}）`],
  [/impossible birth date (\d+)/, (m) => `出生日期不存在（${m[1]}）`],
  [/18-character ID number/, () => '应为 18 位身份证号（17 位数字加校验码 0–9 或 X）'],
  [/typed as a number/, () => '单元格为数字格式，位数已丢失：请设为文本后重新填写'],
  [/mobile|phone number must/, () => '不是有效的大陆手机号（1[3-9] 开头 11 位）'],
  [/^unknown role (\S+)/, (m) => `未知角色“${m[1]}”`],
  [/^unknown grid or unit code (\S+)/, (m) => `未知的网格或单位代码 ${m[1]}`],
  [/^duplicate: the same phone number as row (\d+)/, (m) => `与第 ${m[1]} 行手机号重复`],
  [/^duplicate: the same ID number as row (\d+)/, (m) => `与第 ${m[1]} 行身份证号重复`],
  [/^duplicate: the phone number of another account \(([^)]+)\)/, (m) => `已是其他账号（${m[1]}）的手机号`],
  [/^duplicate: the same 浙政钉账号 as row (\d+)/, (m) => `与第 ${m[1]} 行浙政钉账号重复`],
  [/^duplicate: the 浙政钉账号 of another account \(([^)]+)\)/, (m) => `已绑定其他账号（${m[1]}）`],
  [/^is not a 浙政钉 accountId/, () => '不是有效的浙政钉账号（字母、数字及 _ . : @ -，至多 64 位）'],
  [/unknown or retired unit (\S+)/, (m) => `单位 ${m[1]} 不存在或已撤销`],
  [/unknown region (\S+)/, (m) => `区划 ${m[1]} 不在本县`],
  [/jurisdiction|unit is|needs a handling unit|has no unit/, () => '所属网格/单位与角色不符'],
];

export function rosterMessage(message: string): string {
  for (const [re, zh] of RULES) {
    const m = re.exec(message);
    if (m) return zh(m);
  }
  return message;
}
