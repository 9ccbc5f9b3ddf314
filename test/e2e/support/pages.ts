import type { Page } from 'playwright-core';
import { waitFor } from './harness.js';
import { waitForText } from './browser.js';
import type { Person } from './browser.js';

/**
 * What a person does on each workspace, through the page only (clicks and typing, the selectors the pages carry as
 * data-test / data-testid attributes). Used by the cross-workspace browser tests.
 */

/** /grid: fills the report form (category, GPS place, a photo, the description) and sends it. */
export async function reportOnGrid(page: Page, r: { major: string; code: string; description: string; photo: Buffer }): Promise<void> {
  await page.click('[data-testid=tab-report]');
  await page.click('[data-testid=pick-category]');
  await page.click(`[data-testid=category-picker] [data-major="${r.major}"]`);
  await page.click(`[data-testid=category-picker] .minor[data-code="${r.code}"]`);
  await waitForText(page, '[data-testid=gps-state]', (t) => t.includes('已定位'));
  await page.setInputFiles('[data-testid=photo-before] input', { name: 'scene.jpg', mimeType: 'image/jpeg', buffer: r.photo });
  await page.waitForSelector('.photos .thumb img');
  await page.fill('textarea[name=description]', r.description);
  await page.click('[data-testid=submit]');
}

/** /township: the console is up with its live connection. */
export async function consoleReady(p: Person): Promise<void> {
  await p.page.locator('[data-test=live-state][data-state=live]').waitFor({ timeout: 15_000 });
  await p.page.locator('[data-test=queue-list]').waitFor();
}

/** /township: a queue row, and the "N 条新事件" bar when it holds the event. */
export const inQueue = (id: string) => `[data-test=event-row][data-id="${id}"]`;
export const inNewBar = (id: string) => `[data-test=new-events][data-ids~="${id}"]`;

/** /township: whether the console shows the event, in the list or behind the "N 条新事件" bar. */
export async function consoleShows(p: Person, id: string): Promise<boolean> {
  return (await p.page.locator(`${inQueue(id)}, ${inNewBar(id)}`).count()) > 0;
}

/** /township: opens the event in the panel (inserting the new ones first when it waits behind the bar). */
export async function openOnConsole(p: Person, id: string): Promise<void> {
  if (await p.page.locator(inNewBar(id)).count()) await p.page.click('[data-test=new-events]');
  await p.page.click(inQueue(id));
  await p.page.locator(`[data-test=event-panel][data-id="${id}"][data-status]:not([data-status=""])`).waitFor();
}

/** /township: waits until the open panel shows `status`. */
export async function panelAt(p: Person, id: string, status: string): Promise<void> {
  await p.page.locator(`[data-test=event-panel][data-id="${id}"][data-status="${status}"]`).waitFor({ timeout: 10_000 });
}

/** /township: clicks an action of the open panel, fills its dialog with `fill`, sends it and waits for it to close. */
export async function actOnConsole(p: Person, action: string, fill: () => Promise<void> = async () => undefined): Promise<void> {
  await p.page.click(`[data-test=event-panel] [data-test=actions] button[data-action=${action}]`);
  const dialog = p.page.locator(`[data-test=action-dialog][data-action=${action}]`);
  await dialog.waitFor();
  await fill();
  await p.page.click('[data-test=action-dialog] [data-test=action-submit]');
  await dialog.waitFor({ state: 'hidden' });
}

/** /county: the boundaries are drawn (the village outlines come last) and the live connection is up. */
export async function wallReady(p: Person): Promise<void> {
  await waitFor('the village outlines', async () => (await p.page.locator('path.cm-village').count()) > 100, 30_000);
  await waitFor('the wall screen connected', async () =>
    (await p.page.locator('[data-test=conn-state]').first().getAttribute('data-state', { timeout: 500 }).catch(() => null)) === 'live', 20_000);
}

/** An attribute of the first element matching, or null. */
export async function attrOf(page: Page, selector: string, name: string): Promise<string | null> {
  return page.locator(selector).first().getAttribute(name, { timeout: 500 }).catch(() => null);
}
