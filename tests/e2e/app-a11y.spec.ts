/**
 * Accessibility of the app (SPEC §5: "Every control has an accessible name; the whole flow works
 * from the keyboard"; issue 5: axe-core on the lobby and rooms view, dark and light). axe-core
 * checks each screen as people see it; no violation of impact serious or critical may remain.
 * Then one person goes from the lobby to a room and out again with the keyboard alone.
 */
import type { Page } from '@playwright/test';
import { test, expect } from './support/test';
import { chatLog, expectInRoom, roomPanel, tile, uniqueRoom } from './support/app';
import { breakoutPanel, expectNoSeriousAxeViolations, mainTab, openBreakoutSetup, openPersonWith, personInRoom, pressUntilFocused } from './support/app-more';

/** The lobby once it has settled: the relay answered and the camera preview is up. */
async function lobbySettled(page: Page): Promise<void> {
  await expect(page.getByRole('form', { name: 'Join a room' })).toBeVisible();
  await expect(page.getByLabel('Your camera preview')).toBeVisible({ timeout: 20_000 });
}

test('axe: the lobby in light and dark has no serious or critical violations', async ({ browser }) => {
  for (const colorScheme of ['light', 'dark'] as const) {
    const page = await openPersonWith(browser, { colorScheme });
    await lobbySettled(page);
    await expectNoSeriousAxeViolations(page, `the lobby (${colorScheme})`);
    await page.context().close();
  }
});

test('axe: the lobby in 简体中文 has no serious or critical violations', async ({ browser }) => {
  const page = await openPersonWith(browser, { locale: 'zh-CN' });
  await expect(page.getByRole('form', { name: '加入房间' })).toBeVisible();
  await expect(page.locator('html')).toHaveAttribute('lang', /^zh/);
  // The camera preview is up (its label is in Chinese too).
  await expect(page.locator('video')).toBeVisible({ timeout: 20_000 });
  await expectNoSeriousAxeViolations(page, 'the lobby (zh-CN)');
});

test('axe: the rooms view with two people, light and dark, and the breakout panels', async ({ browser }) => {
  test.setTimeout(120_000);
  const room = uniqueRoom('a11y');
  const ann = await personInRoom(browser, room, { name: 'Ann', mode: 'create' });
  const ben = await personInRoom(browser, room, { name: 'Ben', devices: 'Microphone only' });
  await expect(tile(ann, room, 'Ben')).toBeVisible({ timeout: 20_000 });
  await expect(roomPanel(ann, room).getByRole('region', { name: '2 members' })).toBeVisible();

  await expectNoSeriousAxeViolations(ann, 'the rooms view, two people (light)');
  await ann.emulateMedia({ colorScheme: 'dark' });
  await expectNoSeriousAxeViolations(ann, 'the rooms view, two people (dark)');
  await ann.emulateMedia({ colorScheme: 'light' });

  // The host's breakout set-up, with the per-student assignment board shown.
  const hostPanel = await openBreakoutSetup(roomPanel(ann, room));
  await hostPanel.getByLabel('I assign students').check();
  await expect(hostPanel.getByLabel('Group for Ben')).toBeVisible();
  await expectNoSeriousAxeViolations(ann, 'the breakout host panel (setup)');

  // Breakouts running: the host's panel, and the student's panel in the main room.
  await hostPanel.getByLabel('Number of groups').fill('1');
  await hostPanel.getByLabel('Group for Ben').selectOption({ label: 'Group 1' });
  await hostPanel.getByRole('button', { name: 'Open breakout rooms' }).click();
  await expect(hostPanel.getByRole('button', { name: 'End breakout rooms' })).toBeVisible();
  await hostPanel.getByLabel('Message to every group').fill('Back in ten minutes');
  await hostPanel.getByRole('button', { name: 'Send to all groups' }).click();
  await expectNoSeriousAxeViolations(ann, 'the breakout host panel (running)');
  await mainTab(ben, room).click();
  await ben.emulateMedia({ colorScheme: 'dark' });
  await expect(breakoutPanel(roomPanel(ben, room))).toContainText('Back in ten minutes', { timeout: 20_000 });
  await expectNoSeriousAxeViolations(ben, 'the breakout student panel (dark)');
});

test('keyboard only: from the lobby into a room, chat, microphone off, and out', async ({ browser }) => {
  test.setTimeout(90_000);
  const room = uniqueRoom('keys');
  const page = await openPersonWith(browser, {});
  await lobbySettled(page);
  const form = page.getByRole('form', { name: 'Join a room' });
  const keyboard = page.keyboard;

  // Name, then room: Tab from the top of the page to each field, and type.
  await pressUntilFocused(page, form.getByLabel('Your name'));
  await keyboard.type('Kim');
  await expect(form.getByLabel('Your name')).toHaveValue('Kim');
  await pressUntilFocused(page, form.getByLabel('Room', { exact: true }));
  await keyboard.press('ControlOrMeta+A');
  await keyboard.type(room);
  await expect(form.getByLabel('Room', { exact: true })).toHaveValue(room);
  // "Join as": arrow keys move within the radio group (Audience, then back to Participant).
  await pressUntilFocused(page, form.getByRole('radio', { name: /^Participant/ }));
  await keyboard.press('ArrowDown');
  await expect(form.getByRole('radio', { name: /^Audience/ })).toBeChecked();
  await keyboard.press('ArrowUp');
  await expect(form.getByRole('radio', { name: /^Participant/ })).toBeChecked();
  // The Join button, pressed with Enter.
  await pressUntilFocused(page, form.getByRole('button', { name: 'Join', exact: true }));
  await keyboard.press('Enter');
  await expectInRoom(page, room);
  const panel = roomPanel(page, room);

  // The chat box, a message, Enter sends it.
  const message = panel.getByRole('textbox', { name: 'Message' });
  await pressUntilFocused(page, message);
  await keyboard.type('Typed without a mouse');
  await keyboard.press('Enter');
  await expect(chatLog(page, room).getByRole('listitem').filter({ hasText: 'Typed without a mouse' })).toContainText('Kim');
  await expect(message).toHaveValue('');

  // Back up to the microphone toggle; Space turns it off, and my tile says so.
  const microphone = panel.getByRole('button', { name: 'Microphone' });
  await expect(microphone).toHaveAttribute('aria-pressed', 'true');
  await pressUntilFocused(page, microphone, 'Shift+Tab');
  await keyboard.press('Space');
  await expect(microphone).toHaveAttribute('aria-pressed', 'false');
  await expect(tile(page, room, 'Kim (you)').getByRole('img', { name: 'Microphone off' })).toBeVisible();

  // Leave the room with Enter: back to the lobby.
  await pressUntilFocused(page, panel.getByRole('button', { name: `Leave ${room}` }), 'Shift+Tab');
  await keyboard.press('Enter');
  await expect(page.getByRole('heading', { name: 'Join a room' })).toBeVisible();
});
