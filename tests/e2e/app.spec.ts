/**
 * Journeys through the app as people use it (issue 5, SPEC §5): real Chromium with fake
 * devices, the real relay, driven by role and accessible name.
 */
import { test, expect } from '@playwright/test';
import { chatLog, expectInRoom, expectTilePlaying, joinRoom, openPerson, roomPanel, sendChat, tile, tileAudioPeak, uniqueRoom } from './support/app';

test('two people meet in a room: they see and hear each other and chat', async ({ browser }) => {
  const room = uniqueRoom('meet');
  const ann = await openPerson(browser);
  await joinRoom(ann, room, { name: 'Ann' });
  await expectInRoom(ann, room);
  await expect(ann).toHaveURL(new RegExp(`/r/${room}$`));
  await expect(tile(ann, room, 'Ann (you)')).toBeVisible();

  // Ben follows the invite link: the app asks his name first, then he is in.
  const ben = await openPerson(browser, `/r/${room}`);
  await expect(ben.getByRole('heading', { name: 'You are invited' })).toBeVisible();
  await joinRoom(ben, null, { name: 'Ben' });
  await expectInRoom(ben, room);

  await expectTilePlaying(tile(ann, room, 'Ben'));
  await expectTilePlaying(tile(ben, room, 'Ann'));
  await expect.poll(() => tileAudioPeak(tile(ben, room, 'Ann')), { timeout: 15_000 }).toBeGreaterThan(0.05);
  await expect(roomPanel(ann, room).getByRole('region', { name: '2 members' })).toContainText('Ben');

  await sendChat(ann, room, 'Hello Ben!');
  await expect(chatLog(ben, room).getByRole('listitem').filter({ hasText: 'Hello Ben!' })).toContainText('Ann');
  await sendChat(ben, room, 'Hi Ann');
  await expect(chatLog(ann, room)).toContainText('Hi Ann');

  // Ann turns her microphone off in the room: Ben sees it on her tile.
  await roomPanel(ann, room).getByRole('button', { name: /Microphone/ }).click();
  await expect(tile(ben, room, 'Ann').getByRole('img', { name: 'Microphone off' })).toBeVisible();

  // Leaving takes Ann back to the lobby; Ben sees her go.
  await roomPanel(ann, room).getByRole('button', { name: `Leave ${room}` }).click();
  await expect(ann.getByRole('heading', { name: 'Join a room' })).toBeVisible();
  await expect(roomPanel(ben, room).getByRole('region', { name: '1 member' })).toBeVisible({ timeout: 5_000 });
});
