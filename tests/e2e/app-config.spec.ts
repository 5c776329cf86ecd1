/**
 * Runtime configuration (issue 5): the relay the app uses comes from config.json served next to
 * the app, not from the build. The app server answers WebSocket upgrades on any path, so a
 * config naming `/relay-from-config` proves the app followed the file.
 */
import { test, expect } from './support/test';
import { expectInRoom, joinRoom, uniqueRoom } from './support/app';

test('the app joins rooms through the relay config.json names', async ({ browser }) => {
  const context = await browser.newContext();
  await context.route('**/config.json', (route) => route.fulfill({ json: { signaling: ['/relay-from-config'], iceServers: [] } }));
  const sockets: string[] = [];
  const page = await context.newPage();
  page.on('websocket', (socket) => sockets.push(new URL(socket.url()).pathname));
  await page.goto('/');
  await expect(page.getByRole('status')).toHaveText(/Relay connected/);
  await expect(page.getByText('/relay-from-config')).toBeVisible();
  await page.getByLabel('Devices').selectOption({ label: 'No devices' });
  const room = uniqueRoom('configured');
  await joinRoom(page, room, { name: 'Ann' });
  await expectInRoom(page, room);
  expect(new Set(sockets)).toEqual(new Set(['/relay-from-config']));
});

test('an invalid config.json is reported in words instead of joining somewhere else', async ({ browser }) => {
  const context = await browser.newContext();
  await context.route('**/config.json', (route) => route.fulfill({ json: { signaling: 42 } }));
  const page = await context.newPage();
  await page.goto('/');
  await expect(page.getByRole('alert')).toContainText('configuration file (config.json) is invalid');
});
