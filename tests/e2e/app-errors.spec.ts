/**
 * Every error a person can meet, shown in words where they look, with what to do next
 * (issue 5, SPEC §5): devices, relay, room existence, password, kick, close.
 */
import { chromium } from '@playwright/test';
import { test, expect } from './support/test';
import { expectInRoom, joinRoom, openPerson, roomPanel, uniqueRoom } from './support/app';

test('room not found, room already exists, wrong password: said in the lobby, nothing joined', async ({ browser }) => {
  const room = uniqueRoom('err');
  const ann = await openPerson(browser);
  await ann.getByLabel('Devices').selectOption({ label: 'No devices' });
  await joinRoom(ann, room, { name: 'Ann', mode: 'join' });
  await expect(ann.getByRole('alert')).toContainText(`There is nobody in room “${room}”`);
  await expect(ann.getByRole('heading', { name: 'Join a room' })).toBeVisible();

  await joinRoom(ann, room, { password: 'sesame', mode: 'create' });
  await expectInRoom(ann, room);

  const ben = await openPerson(browser);
  await ben.getByLabel('Devices').selectOption({ label: 'No devices' });
  await joinRoom(ben, room, { name: 'Ben', mode: 'create' });
  await expect(ben.getByRole('alert')).toContainText(`Room “${room}” already exists`);
  await joinRoom(ben, room, { password: 'wrong', mode: 'enter' });
  await expect(ben.getByRole('alert')).toContainText(`The password for “${room}” is wrong`);
  await expect(ben.getByRole('tab')).toHaveCount(0);
  await joinRoom(ben, room, { password: 'sesame' });
  await expectInRoom(ben, room);
});

test('kicked and room closed: the person is told why the room went away', async ({ browser }) => {
  const room = uniqueRoom('mod');
  const host = await openPerson(browser);
  await host.getByLabel('Devices').selectOption({ label: 'No devices' });
  await joinRoom(host, room, { name: 'Host' });
  await expectInRoom(host, room);
  const ben = await openPerson(browser, `/r/${room}`);
  await ben.getByLabel('Devices').selectOption({ label: 'No devices' });
  await joinRoom(ben, null, { name: 'Ben' });
  await expectInRoom(ben, room);

  await roomPanel(host, room).getByRole('button', { name: 'Remove Ben' }).click();
  await roomPanel(host, room).getByRole('group', { name: /Remove Ben from the room/ }).getByRole('button', { name: 'Remove Ben' }).click();
  await expect(ben.getByRole('alert')).toContainText(`The host removed you from “${room}”`);
  await expect(roomPanel(host, room).getByRole('region', { name: '1 member' })).toBeVisible();

  const cat = await openPerson(browser, `/r/${room}`);
  await cat.getByLabel('Devices').selectOption({ label: 'No devices' });
  await joinRoom(cat, null, { name: 'Cat' });
  await expectInRoom(cat, room);
  // The host closes a room Cat is seen in (the closing reaches those the host is connected to).
  await expect(roomPanel(host, room).getByRole('region', { name: '2 members' })).toBeVisible({ timeout: 20_000 });
  await roomPanel(host, room).getByRole('button', { name: 'Close room for everyone' }).click();
  await roomPanel(host, room).getByRole('button', { name: 'Close room for everyone' }).click();
  await expect(cat.getByRole('alert')).toContainText(`The host closed “${room}” for everyone`);
  await expect(cat.getByRole('heading', { name: 'Join a room' })).toBeVisible();
});

test('relay unreachable: the lobby says so before joining, and joining says what to do', async ({ browser }) => {
  const context = await browser.newContext();
  const page = await context.newPage();
  await page.routeWebSocket(/\/relay$/, (ws) => void ws.close({ code: 1011, reason: 'down' }));
  await page.goto('/');
  await expect(page.getByRole('status')).toHaveText(/Relay unreachable/);
  await page.getByLabel('Devices').selectOption({ label: 'No devices' });
  await joinRoom(page, uniqueRoom('down'), { name: 'Ann' });
  // Said as soon as a fresh check agrees, not after the client's 15 s connect timeout.
  await expect(page.getByRole('alert')).toContainText('The relay cannot be reached');
  await expect(page.getByRole('tab')).toHaveCount(0);
});

test('camera permission denied, and no camera at all: said next to the preview, joining still possible', async () => {
  // Browsers of their own: one that refuses the camera like a person clicking "Block", and one
  // with no fake devices on a machine that has no camera.
  const base = test.info().project.use.baseURL!;
  const args = ['--no-sandbox', '--disable-background-networking', '--disable-component-update', '--disable-sync'];
  const executablePath = process.env.CHROMIUM_PATH || '/usr/bin/chromium';

  const denying = await chromium.launch({ executablePath, args: [...args, '--use-fake-device-for-media-stream', '--deny-permission-prompts'] });
  const denied = await (await denying.newContext()).newPage();
  await denied.goto(base);
  await expect(denied.getByRole('alert')).toContainText('was not allowed to use your camera or microphone');
  await denied.getByLabel('Devices').selectOption({ label: 'No devices' });
  await joinRoom(denied, uniqueRoom('denied'), { name: 'Ann' });
  await expect(denied.getByRole('tab')).toHaveCount(1);
  await denying.close();

  const bare = await chromium.launch({ executablePath, args: [...args, '--use-fake-ui-for-media-stream'] });
  const none = await (await bare.newContext()).newPage();
  await none.goto(base);
  await expect(none.getByRole('alert')).toContainText('No camera or microphone was found');
  await bare.close();
});
