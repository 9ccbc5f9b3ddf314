import { afterAll, beforeAll, describe, expect, it, jest } from '@jest/globals';
import { creditCodeCheckCharacter, idCheckCharacter } from '../../libs/contracts/src/check-characters.js';
import { enterpriseByCreditCode, personByIdNumber } from '../../apps/province-sandbox/src/sandbox-data.js';
import { startWebStack } from './support/browser.js';
import type { Person, WebStack } from './support/browser.js';
import { DEMO_PASSWORD, newId, pointIn, waitFor } from './support/harness.js';
import { consoleReady, openOnConsole } from './support/pages.js';
import { sandboxKeys, spawnSandbox } from './support/sandbox.js';
import type { SandboxProcess } from './support/sandbox.js';

// Issue 10, 信息核查 in the township console (Chromium at 1600×900, the built API, worker and pages, the province
// sandbox as the IRS gateway): the dispatcher opens the dialog from the header and from an event's panel, gives an ID
// number or a credit code and a reason, and sees the masked answer; the lookup from the panel is audited with the
// event. A handler's console has no such button. Build first: npx tsc -p tsconfig.build.json && npm run build:web.
jest.setTimeout(180_000);

const TOWNSHIP = '330523001'; // 递铺街道
const GRID = '330523001002001';
const TW = `tw.${TOWNSHIP}`;

const idNumber = (first17: string) => first17 + idCheckCharacter(first17);
const creditCode = (first17: string) => first17 + creditCodeCheckCharacter(first17);
const PERSON = idNumber('33052319850312123');
const ENTERPRISE = creditCode('91330523MA2B3C4D5');

let sandbox: SandboxProcess;
let stack: WebStack;
let tw: Person;

const DIALOG = '[data-test=irs-dialog]';

async function lookUp(p: Person, kind: 'person' | 'enterprise', key: string, reason: string): Promise<void> {
  const dialog = p.page.locator(DIALOG);
  await dialog.waitFor();
  await p.page.click(`${DIALOG} [data-test=irs-kind-${kind}]`);
  await p.page.fill(`${DIALOG} input[data-test=irs-key]`, key);
  await p.page.fill(`${DIALOG} textarea[data-test=irs-reason]`, reason);
  await p.page.click(`${DIALOG} [data-test=irs-submit]`);
}

beforeAll(async () => {
  const keys = sandboxKeys();
  sandbox = await spawnSandbox(keys);
  stack = await startWebStack('irs_web', {
    GATEWAY_IRS_BASE_URL: sandbox.url, GATEWAY_IRS_ACCESS_KEY: keys.irs.accessKey, GATEWAY_IRS_SECRET_KEY: keys.irs.secretKey,
  });
  tw = await stack.person();
  await tw.login(TW);
  await consoleReady(tw);
}, 180_000);
afterAll(async () => {
  await stack?.close();
  await sandbox?.stop();
});

describe('信息核查 in the township console', () => {
  it('from the header: a person by ID number, a bad check digit refused before sending, the answer masked', async () => {
    const raw = personByIdNumber(PERSON).body.data!;
    await tw.page.click('[data-test=irs-open]');
    // a typo in the check digit is caught in the page: nothing is sent
    await lookUp(tw, 'person', PERSON.slice(0, 17) + (PERSON[17] === '0' ? '1' : '0'), '核实当事人身份');
    await tw.page.locator(`${DIALOG} .el-form-item__error`).filter({ hasText: '校验位' }).waitFor();
    expect(await tw.page.locator(`${DIALOG} [data-test=irs-answer]`).count()).toBe(0);
    const asked = (await sandbox.admin<{ kinds: Record<string, { total: number }> }>('GET', '/_sandbox/stats')).body.kinds['irs-person']?.total ?? 0;
    expect(asked).toBe(0);

    await tw.page.fill(`${DIALOG} input[data-test=irs-key]`, PERSON);
    await tw.page.click(`${DIALOG} [data-test=irs-submit]`);
    await tw.page.locator(`${DIALOG} [data-test=irs-answer][data-found=true]`).waitFor();
    expect(await tw.page.textContent(`${DIALOG} [data-test=irs-name]`)).toBe(`${raw.name![0]}***`);
    expect(await tw.page.textContent(`${DIALOG} [data-test=irs-id-number]`)).toBe(`330523********${PERSON.slice(-4)}`);
    expect(await tw.page.textContent(`${DIALOG} [data-test=irs-phone]`)).toBe(`138****${raw.phone!.slice(-4)}`);
    expect(await tw.page.textContent(`${DIALOG} [data-test=irs-address]`)).toBe('浙江省测试县***');
    const text = (await tw.page.textContent(DIALOG)) ?? '';
    for (const value of [raw.name!, raw.phone!, raw.address!]) expect([value, text.includes(value)]).toEqual([value, false]);
    await tw.page.click(`${DIALOG} [data-test=irs-close]`);
    await tw.page.locator(DIALOG).waitFor({ state: 'hidden' });
  });

  it('from an event\'s panel: an enterprise, the lookup audited with the event', async () => {
    const raw = enterpriseByCreditCode(ENTERPRISE).body.data!;
    const login = await fetch(`${stack.url}/api/v1/auth/login`, { method: 'POST', headers: { 'Content-Type': 'application/json' },
      body: JSON.stringify({ username: `gw.${GRID}`, password: DEMO_PASSWORD }) });
    const { accessToken } = (await login.json()) as { accessToken: string };
    const id = newId();
    const res = await fetch(`${stack.url}/api/v1/events`, { method: 'POST', headers: { Authorization: `Bearer ${accessToken}`, 'Content-Type': 'application/json' },
      body: JSON.stringify({ id, categoryCode: '0901', description: '企业门前堆放建筑垃圾（信息核查测试）', location: await pointIn(stack.db, GRID) }) });
    expect(res.status).toBe(201);
    const code = ((await res.json()) as { code: string }).code;
    await waitFor('the event on the console', async () => (await tw.page.locator(`[data-test=event-row][data-id="${id}"], [data-test=new-events][data-ids~="${id}"]`).count()) > 0);
    await openOnConsole(tw, id);

    await tw.page.click('[data-test=event-panel] [data-test=irs-open-event]');
    await tw.page.locator(`${DIALOG}[data-event-id="${id}"]`).waitFor();
    expect(await tw.page.textContent(`${DIALOG} [data-test=irs-event]`)).toBe(code);
    await lookUp(tw, 'enterprise', ENTERPRISE.toLowerCase(), '核实堆放垃圾企业的登记信息');
    await tw.page.locator(`${DIALOG} [data-test=irs-answer][data-found=true]`).waitFor();
    expect(await tw.page.textContent(`${DIALOG} [data-test=irs-ent-name]`)).toBe(raw.name);
    expect(await tw.page.textContent(`${DIALOG} [data-test=irs-legal-person]`)).toBe(`${raw.legalPerson![0]}*`);
    expect(((await tw.page.textContent(DIALOG)) ?? '').includes(raw.legalPerson!)).toBe(false);
    const audit = (await stack.db.query(`SELECT username, outcome, detail FROM audit_log WHERE action = 'irs.enterprise.lookup' AND detail->>'eventId' = $1`, [id])).rows;
    expect(audit.map((r: { username: string; outcome: string; detail: { reason: string; subject: string } }) => [r.username, r.outcome, r.detail.reason, r.detail.subject]))
      .toEqual([[TW, 'ok', '核实堆放垃圾企业的登记信息', ENTERPRISE]]);
    await tw.page.click(`${DIALOG} [data-test=irs-close]`);
    expect(tw.external()).toEqual([]);
  });

  it('a handler\'s console offers no 信息核查', async () => {
    const handler = await stack.person();
    await handler.login(`h.${TOWNSHIP}-JG`);
    await consoleReady(handler);
    expect(await handler.page.locator('[data-test=irs-open]').count()).toBe(0);
  });
});
