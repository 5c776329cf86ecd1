/**
 * More of what people do and notice in the app, for the breakout [R-60] and accessibility
 * journeys (SPEC §5): room tabs, the members list, the breakout panels, an axe check that says
 * what to fix, and moving focus with the keyboard alone. Builds on ./app.ts.
 */
import { expect, type Browser, type BrowserContextOptions, type Locator, type Page } from '@playwright/test';
import AxeBuilder from '@axe-core/playwright';
import { expectInRoom, joinRoom, roomPanel, type JoinOptions } from './app';

function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

/** A person in a fresh browser context with the given options (dark scheme, a locale…). */
export async function openPersonWith(browser: Browser, options: BrowserContextOptions, path = '/'): Promise<Page> {
  const context = await browser.newContext({ locale: 'en-US', ...options });
  const page = await context.newPage();
  page.on('pageerror', (error) => console.log(`[pageerror] ${error.message}`));
  await page.goto(path);
  return page;
}

/**
 * Opens the lobby in a fresh context, joins `roomId` and waits until connected. The lobby opens
 * the camera for its preview as it loads; the devices are picked once that preview is up, since
 * a pick made while the camera is still opening is overridden when it opens (a race in
 * LocalMedia reported to the lead), and a student meant to have no devices would send video.
 */
export async function personInRoom(browser: Browser, roomId: string, options: JoinOptions): Promise<Page> {
  const page = await personJoining(browser, roomId, options);
  await expectInRoom(page, roomId);
  // With no devices there is nothing of mine on screen: no tile, no microphone to switch.
  if (options.devices === 'No devices') await expect(roomPanel(page, roomId).getByRole('button', { name: 'Microphone' })).toHaveCount(0);
  return page;
}

/**
 * The same up to the Join press, without waiting to see the room: a student who joins while
 * breakouts run is shown their group's tab as soon as they are placed, which can be before the
 * main room's panel was ever on screen.
 */
export async function personJoining(browser: Browser, roomId: string, options: JoinOptions): Promise<Page> {
  const page = await openPersonWith(browser, {});
  if (options.devices && options.devices !== 'Camera and microphone') await expect(page.getByLabel('Your camera preview')).toBeVisible({ timeout: 20_000 });
  await joinRoom(page, roomId, options);
  return page;
}

/** The room tabs of the rooms view. */
export function roomTabs(page: Page): Locator {
  return page.getByRole('tablist', { name: 'Rooms' }).getByRole('tab');
}

/** A breakout group's tab: "Group n · <main room>" (its name may go on with an unread count). */
export function groupTab(page: Page, mainRoomId: string, groupNumber?: number): Locator {
  const group = groupNumber === undefined ? '\\d+' : String(groupNumber);
  return roomTabs(page).filter({ hasText: new RegExp(`^\\s*Group ${group} · ${escapeRegExp(mainRoomId)}`) });
}

/** The main room's own tab. */
export function mainTab(page: Page, mainRoomId: string): Locator {
  return page.getByRole('tab', { name: new RegExp(`^${escapeRegExp(mainRoomId)}( |$)`) });
}

/** Shows a group's room (its tab) and returns its panel. */
export async function showGroup(page: Page, mainRoomId: string, groupNumber: number): Promise<Locator> {
  await groupTab(page, mainRoomId, groupNumber).click();
  return page.getByRole('tabpanel', { name: new RegExp(`^Group ${groupNumber} · ${escapeRegExp(mainRoomId)}`) });
}

/** Shows the main room (its tab) and returns its panel. */
export async function showMain(page: Page, mainRoomId: string): Promise<Locator> {
  await mainTab(page, mainRoomId).click();
  return roomPanel(page, mainRoomId);
}

/** The members list of a room panel ("3 members"). */
export function membersList(panel: Locator): Locator {
  return panel.getByRole('region', { name: /^\d+ members?$/ });
}

/** The breakout panel (the teacher's or the student's) of a room panel. */
export function breakoutPanel(panel: Locator): Locator {
  return panel.getByRole('region', { name: 'Breakout rooms' });
}

/**
 * The teacher unfolds the "Breakout rooms" disclosure in the room's side column (unless it is
 * open already: it opens by itself while breakouts run, and folds when they end). It is a
 * <details>, whose <summary> has no ARIA role Playwright can query: it is found by its words.
 */
export async function openBreakoutSetup(panel: Locator): Promise<Locator> {
  const hostPanel = breakoutPanel(panel);
  if (await hostPanel.isVisible()) return hostPanel;
  await panel.getByRole('complementary').getByText('Breakout rooms', { exact: true }).first().click();
  await expect(hostPanel).toBeVisible();
  return hostPanel;
}

/** The group number the student's own panel names ("Your group: Group 2"), read from the page. */
export async function groupNumberShown(page: Page, mainRoomId: string): Promise<number> {
  const panel = breakoutPanel(await showMain(page, mainRoomId));
  const status = panel.getByRole('status').filter({ hasText: /^Your group: Group \d+$/ });
  await expect(status).toBeVisible({ timeout: 20_000 });
  return Number(/Group (\d+)$/.exec((await status.textContent()) ?? '')?.[1]);
}

/**
 * axe-core on the page as it is now: no violation of impact serious or critical. The failure
 * message lists each rule, its help and the elements, so it says what to fix. The check is soft
 * (the test goes on to its next screen, and fails at its end).
 */
export async function expectNoSeriousAxeViolations(page: Page, where: string): Promise<void> {
  const results = await new AxeBuilder({ page }).analyze();
  const serious = results.violations.filter((violation) => violation.impact === 'serious' || violation.impact === 'critical');
  const report = serious
    .map((violation) => {
      const nodes = violation.nodes.map((node) => `    ${node.target.join(' ')}: ${node.html.slice(0, 120)}\n      ${node.failureSummary?.replace(/\n/g, ' ') ?? ''}`).join('\n');
      return `- ${violation.id} (${violation.impact}): ${violation.help} <${violation.helpUrl}>\n${nodes}`;
    })
    .join('\n');
  // Soft: one screen's violations must not hide the next screen's.
  expect.soft(serious.length, `axe on ${where}: ${serious.length} serious/critical violation(s)\n${report}`).toBe(0);
}

/**
 * Presses `key` (Tab or Shift+Tab) until `target` has the focus, as a keyboard user moves
 * through a page; fails after `max` presses, listing where the focus went (the tab order).
 */
export async function pressUntilFocused(page: Page, target: Locator, key: 'Tab' | 'Shift+Tab' = 'Tab', max = 50): Promise<number> {
  const element = await target.elementHandle();
  if (!element) throw new Error(`pressUntilFocused: ${String(target)} is not on the page`);
  const path: string[] = [];
  for (let presses = 1; presses <= max; presses++) {
    await page.keyboard.press(key);
    // One look per key press: is the target focused, and if not, what is (in words).
    const focus = await element.evaluate((wanted) => {
      const active = document.activeElement;
      if (active === wanted) return null;
      if (!active || active === document.body) return '(page)';
      const label = active.getAttribute('aria-label') || (active as HTMLInputElement).labels?.[0]?.textContent?.trim() || active.textContent?.trim().slice(0, 30) || '';
      const role = active.getAttribute('role');
      return `${active.tagName.toLowerCase()}${role ? `[role=${role}]` : ''} "${label}"`;
    });
    if (focus === null) return presses;
    path.push(focus);
  }
  throw new Error(`${key} ×${max} never reached ${String(target)}; the focus went: ${path.join(' → ')}`);
}
