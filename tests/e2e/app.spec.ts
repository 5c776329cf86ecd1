/**
 * Journeys through the app as people use it (issue 5, SPEC §5): real Chromium with fake
 * devices, the real relay, driven by role and accessible name.
 */
import { test, expect } from './support/test';
import { chatLog, expectInRoom, expectTilePlaying, joinRoom, openPerson, roomPanel, sendChat, tile, tileAudioPeak, uniqueRoom } from './support/app';

test('two people meet in a room: they see and hear each other and chat', async ({ browser }) => {
  test.setTimeout(120_000); // a whole meeting: video, sound, chat, topic, hand, screen, roles
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
  // ...and hears it: Ann's tile goes silent on Ben's side (while Ben's own microphone still beeps).
  await expect.poll(() => tileAudioPeak(tile(ben, room, 'Ann')), { timeout: 10_000 }).toBeLessThan(0.01);

  // The host (Ann created the room) sets the topic; Ben raises his hand; Ann sees both.
  const annPanel = roomPanel(ann, room);
  await annPanel.getByRole('button', { name: 'Room topic' }).click();
  await annPanel.getByRole('textbox', { name: 'Room topic' }).fill('Fractions, chapter 3');
  await annPanel.getByRole('button', { name: 'Save topic' }).click();
  await expect(roomPanel(ben, room).getByTestId('topic')).toHaveText('Fractions, chapter 3');
  await roomPanel(ben, room).getByRole('button', { name: 'Raise hand' }).click();
  await expect(annPanel.getByRole('region', { name: '2 members' }).getByRole('img', { name: 'Hand raised' })).toBeVisible();

  // Ann shares her screen: a second tile for Ben, gone when she stops.
  await annPanel.getByRole('button', { name: 'Share screen' }).click();
  await expectTilePlaying(tile(ben, room, 'Ann’s screen'));
  await annPanel.getByRole('button', { name: 'Stop sharing' }).click();
  await expect(tile(ben, room, 'Ann’s screen')).toHaveCount(0);

  // Ben turns audience: his camera leaves the room, he keeps watching Ann.
  await roomPanel(ben, room).getByRole('combobox', { name: 'My role' }).selectOption('audience');
  await expect(tile(ann, room, 'Ben')).toHaveCount(0);
  await expect(roomPanel(ben, room).getByText('You are in the audience')).toBeVisible();
  await expectTilePlaying(tile(ben, room, 'Ann'));

  // Leaving takes Ann back to the lobby; Ben sees her go.
  await roomPanel(ann, room).getByRole('button', { name: `Leave ${room}` }).click();
  await expect(ann.getByRole('heading', { name: 'Join a room' })).toBeVisible();
  await expect(roomPanel(ben, room).getByRole('region', { name: '1 member' })).toBeVisible({ timeout: 5_000 });
});
