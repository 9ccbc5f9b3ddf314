import { afterAll, beforeAll, describe, expect, it, jest } from '@jest/globals';
import { startWebStack, waitForText } from './support/browser.js';
import type { WebStack } from './support/browser.js';
import { DEMO_PASSWORD } from './support/harness.js';
import { sandboxKeys, spawnSandbox } from './support/sandbox.js';
import type { SandboxProcess } from './support/sandbox.js';

// Issue 10, 浙政钉 免登 on the login page: opened with ?authCode= (how the 浙政钉 container's entry URL or a developer
// hands the code over), the page exchanges it on the server and enters the workspace without a password; a refused
// code shows the Chinese reason and the usual password form. Built API and pages (dist/, dist/web), the built province
// sandbox as 浙政钉, Debian's Chromium.
jest.setTimeout(120_000);

let sandbox: SandboxProcess;
let stack: WebStack;
let adminToken = '';

async function authCode(accountId: string): Promise<string> {
  const res = await sandbox.admin<{ authCode: string }>('POST', '/_sandbox/auth-code', { accountId });
  expect(res.status).toBe(200);
  return res.body.authCode;
}

/** Binds the user to a 浙政钉 account through the admin API (as an administrator would). */
async function bind(username: string, accountId: string): Promise<void> {
  const id = (await stack.db.query(`SELECT id FROM users WHERE username = $1`, [username])).rows[0].id as string;
  const res = await fetch(`${stack.url}/api/v1/admin/users/${id}`, { method: 'PATCH',
    headers: { 'content-type': 'application/json', authorization: `Bearer ${adminToken}` }, body: JSON.stringify({ zwddAccountId: accountId }) });
  expect(res.status).toBe(200);
}

beforeAll(async () => {
  const keys = sandboxKeys();
  sandbox = await spawnSandbox(keys);
  stack = await startWebStack('zwdd_login_web', {
    GATEWAY_ZWDD_BASE_URL: sandbox.url, GATEWAY_ZWDD_ACCESS_KEY: keys.zwdd.accessKey, GATEWAY_ZWDD_SECRET_KEY: keys.zwdd.secretKey,
    GATEWAY_ZWDD_TENANT_ID: '196729',
  });
  const login = await fetch(`${stack.url}/api/v1/auth/login`, { method: 'POST', headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ username: 'admin', password: DEMO_PASSWORD }) });
  expect(login.status).toBe(200);
  adminToken = ((await login.json()) as { accessToken: string }).accessToken;
  await bind('gw.330523001002001', 'zwdd-web-gw');
  await bind('tw.330523001', 'zwdd-web-tw');
}, 120_000);

afterAll(async () => {
  await stack?.close();
  await sandbox?.stop();
});

describe('login page with ?authCode=', () => {
  it('enters the workspace of the bound user without a password, and keeps no code in the address', async () => {
    const p = await stack.person({ mobile: true });
    await p.open(`/?authCode=${encodeURIComponent(await authCode('zwdd-web-gw'))}`);
    await p.page.waitForURL(/\/grid\/$/, { timeout: 15_000 });
    const session = JSON.parse(await p.page.evaluate<string>(`localStorage.getItem('grid141.session') ?? 'null'`)) as { user: { username: string } } | null;
    expect(session?.user.username).toBe('gw.330523001002001');
    // the code went to our API once, and nowhere else
    expect(p.requests.filter((u) => u.endsWith('/api/v1/auth/zwdd'))).toHaveLength(1);
    expect(p.requests.some((u) => u.includes('authCode=') && !u.includes('/?authCode='))).toBe(false);
    expect(p.external()).toEqual([]);
    await p.context.close();
  });

  it('follows a next of this site', async () => {
    const p = await stack.person();
    await p.open(`/?next=${encodeURIComponent('/township/')}&authCode=${encodeURIComponent(await authCode('zwdd-web-tw'))}`);
    await p.page.waitForURL(/\/township\/$/, { timeout: 15_000 });
    await p.context.close();
  });

  it('a spent code shows the Chinese reason and the password form, which still signs in', async () => {
    const code = await authCode('zwdd-web-tw');
    const first = await fetch(`${stack.url}/api/v1/auth/zwdd`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ authCode: code }) });
    expect(first.status).toBe(200);
    const p = await stack.person();
    await p.open(`/?authCode=${encodeURIComponent(code)}`);
    await waitForText(p.page, '[role=alert]', (t) => t.includes('浙政钉免登码无效或已过期'));
    // the spent code is gone from the address (a reload must not replay it)
    expect(new URL(p.page.url()).searchParams.has('authCode')).toBe(false);
    await p.page.fill('input[name=username]', 'tw.330523001');
    await p.page.fill('input[name=password]', DEMO_PASSWORD);
    await p.page.click('button[type=submit]');
    await p.page.waitForURL(/\/township\/$/, { timeout: 15_000 });
    expect(p.external()).toEqual([]);
    await p.context.close();
  });

  it('a 浙政钉 account bound to nobody is told to ask the administrator', async () => {
    const p = await stack.person();
    await p.open(`/?authCode=${encodeURIComponent(await authCode('zwdd-web-nobody'))}`);
    await waitForText(p.page, '[role=alert]', (t) => t.includes('尚未绑定本系统账号'));
    expect(new URL(p.page.url()).pathname).toBe('/');
    expect(await p.page.locator('input[name=username]').count()).toBe(1);
    await p.context.close();
  });
});

describe('/admin 人员: the 浙政钉账号 of a user', () => {
  it('an administrator binds it in the edit dialog (then 免登 works for that user) and empties it to unbind', async () => {
    const user = 'tw.330523105';
    const bound = async () => (await stack.db.query(`SELECT zwdd_account_id AS z FROM users WHERE username = $1`, [user])).rows[0].z as string | null;
    const admin = await stack.person();
    await admin.login('admin');
    const edit = async (value: string) => {
      await admin.page.getByPlaceholder('用户名或姓名').fill(user);
      await admin.page.getByRole('button', { name: '查询' }).click();
      const row = admin.page.locator('[data-test=people] tbody tr', { hasText: user }).first();
      await row.waitFor();
      await row.getByRole('button', { name: '编辑' }).click();
      const dialog = admin.page.getByRole('dialog', { name: '编辑账号' });
      await dialog.locator('input[name=zwddAccountId]').fill(value);
      await dialog.getByRole('button', { name: '保存' }).click();
      await dialog.waitFor({ state: 'hidden' });
    };
    await edit('zwdd-web-admin');
    await waitForText(admin.page, '[data-test=people] tbody', (t) => t.includes('zwdd-web-admin'));
    expect(await bound()).toBe('zwdd-web-admin');

    const p = await stack.person();
    await p.open(`/?authCode=${encodeURIComponent(await authCode('zwdd-web-admin'))}`);
    await p.page.waitForURL(/\/township\/$/, { timeout: 15_000 });
    await p.context.close();

    await edit('');
    await waitForText(admin.page, '[data-test=people] tbody', (t) => !t.includes('zwdd-web-admin'));
    expect(await bound()).toBeNull();
    const audit = (await stack.db.query(`SELECT detail FROM audit_log WHERE action = 'user.update' AND detail->'after'->>'username' = $1 ORDER BY id`, [user])).rows;
    expect(audit.map((a) => a.detail.after.zwddAccountId)).toEqual(['zwdd-web-admin', null]);
    expect(admin.external()).toEqual([]);
    await admin.context.close();
  });
});
