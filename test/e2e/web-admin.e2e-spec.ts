import { afterAll, beforeAll, describe, expect, it, jest } from '@jest/globals';
import ExcelJS from 'exceljs';
import { idCheckCharacter } from '#core';
import { waitFor } from './support/harness.js';
import { startWebStack, waitForText } from './support/browser.js';
import type { WebStack } from './support/browser.js';

jest.setTimeout(120_000);

// Issue 11, outcome 3: in /admin the administrator imports a roster with a bad row (an ID number with a wrong check
// digit), sees it flagged and nothing written, fixes the file, imports it, and the new grid worker signs in (changing
// the initial password on the login page) and lands on /grid/. Nothing is loaded from another host.
const GRID = '330523001002001';
const OTHER_GRID = '330523001002002';
const id = (birth: string, seq: string) => `330523${birth}${seq}${idCheckCharacter(`330523${birth}${seq}`)}`;
const wrongCheck = (v: string) => `${v.slice(0, 17)}${v[17] === '0' ? '1' : '0'}`;

async function roster(rows: string[][]): Promise<Buffer> {
  const wb = new ExcelJS.Workbook();
  const sheet = wb.addWorksheet('花名册');
  sheet.addRow(['姓名', '手机号', '身份证号', '所属网格/单位', '角色']);
  for (const r of rows) sheet.addRow(r);
  return Buffer.from(await wb.xlsx.writeBuffer());
}

let stack: WebStack;
beforeAll(async () => { stack = await startWebStack('web_admin'); });
afterAll(async () => { await stack?.close(); });

describe('/admin: roster import in the browser', () => {
  it('a bad row is flagged and nothing written; the fixed file imports; the new grid worker signs in and lands on /grid/', async () => {
    const good = id('19880808', '311');
    const newcomer = id('19950512', '422');
    const rows = (idNumber: string) => [
      ['陈晓东', '13623450001', good, OTHER_GRID, '专职网格员'],
      ['林静', '13623450002', idNumber, GRID, '网格员'],
    ];
    const xlsx = { name: '花名册.xlsx', mimeType: 'application/vnd.openxmlformats-officedocument.spreadsheetml.sheet' };
    const users = async () => Number((await stack.db.query(`SELECT count(*)::int AS n FROM users`)).rows[0].n);
    const before = await users();

    const admin = await stack.person();
    await admin.login('admin');
    expect(new URL(admin.page.url()).pathname).toBe('/admin/');
    await admin.page.getByRole('tab', { name: '花名册导入导出' }).click();

    // the bad file: the check flags row 3's ID number, the import stays disabled, nothing is written
    await admin.page.setInputFiles('[data-test=roster-file]', { ...xlsx, buffer: await roster(rows(wrongCheck(newcomer))) });
    await admin.page.click('[data-test=roster-check]');
    await waitForText(admin.page, '[data-test=roster-summary]', (t) => t.includes('1 行有误'));
    const flagged = await waitForText(admin.page, '[data-test=roster-rows] .bad-row', (t) => t.includes('身份证号'));
    expect(flagged).toMatch(/^3/); // spreadsheet row 3
    expect(flagged).toMatch(/校验|check/);
    await expect(admin.page.locator('[data-test=roster-import]').isDisabled()).resolves.toBe(true);
    expect(await users()).toBe(before);

    // the fixed file: checked, then imported; the credentials are shown once
    await admin.page.setInputFiles('[data-test=roster-file]', { ...xlsx, buffer: await roster(rows(newcomer)) });
    await admin.page.click('[data-test=roster-check]');
    await waitForText(admin.page, '[data-test=roster-summary]', (t) => t.includes('检查通过') && t.includes('将新建 2'));
    await admin.page.click('[data-test=roster-import]');
    await waitForText(admin.page, '[data-test=roster-summary]', (t) => t.includes('已导入 2 行'));
    await waitFor('both accounts', async () => (await users()) === before + 2);
    const credentials = await admin.page.locator('[data-test=roster-credentials] tbody tr').allTextContents();
    const line = credentials.find((t) => t.startsWith('3'))!;
    const username = `gw.${GRID}.2`;
    expect(line).toContain(username);
    const password = /([A-Za-z0-9]{4}(?:-[A-Za-z0-9]{4}){3})/.exec(line)![1]!;
    expect(admin.external()).toEqual([]);

    // the new grid worker: initial password, a new one on the login page, then the grid workspace
    const worker = await stack.person({ mobile: true });
    await worker.open('/');
    await worker.page.fill('input[name=username]', username);
    await worker.page.fill('input[name=password]', password);
    await worker.page.click('button[type=submit]');
    await worker.page.fill('input[name=newPassword]', 'Lin-Jing-grid-2026!');
    await worker.page.click('button[type=submit]');
    await worker.page.waitForURL(/\/grid\/$/, { timeout: 15_000 });
    const row = (await stack.db.query(`SELECT role, unit_code, jurisdiction_code, must_change_password FROM users WHERE username = $1`, [username])).rows[0];
    expect(row).toEqual({ role: 'grid_worker', unit_code: `${GRID}-WG`, jurisdiction_code: GRID, must_change_password: false });
    expect(worker.external()).toEqual([]);
    const audit = (await stack.db.query(`SELECT detail FROM audit_log WHERE action = 'roster.import' ORDER BY id`)).rows;
    expect(audit.at(-1)!.detail).toMatchObject({ created: 2 });
  });
});
