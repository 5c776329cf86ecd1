/**
 * Journeys through several rooms at once (issue 5, SPEC §5): tabs and side by side, unread
 * badges, the room limit, and invite links that carry several rooms.
 */
import { test, expect } from './support/test';
import { chatLog, expectInRoom, expectTilePlaying, joinRoom, openPerson, roomPanel, sendChat, tile, uniqueRoom } from './support/app';

test('one person in three rooms at once: tabs, side by side, unread badges, leaving one, the limit of five', async ({ browser }) => {
  test.setTimeout(120_000); // three people, six rooms
  const [maths, physics, art] = [uniqueRoom('maths'), uniqueRoom('physics'), uniqueRoom('art')];
  const ann = await openPerson(browser);
  await joinRoom(ann, maths, { name: 'Ann' });
  await expectInRoom(ann, maths);
  for (const room of [physics, art]) {
    await ann.getByRole('button', { name: 'Join another room' }).click();
    await joinRoom(ann, room);
    await expectInRoom(ann, room);
  }
  const tabs = ann.getByRole('tablist', { name: 'Rooms' }).getByRole('tab');
  await expect(tabs).toHaveText([maths, physics, art]);
  await expect(ann).toHaveURL(new RegExp(`/r/${maths},${physics},${art}$`));

  // Ben is in maths with his camera; Cat in art, microphone only.
  const ben = await openPerson(browser, `/r/${maths}`);
  await joinRoom(ben, null, { name: 'Ben' });
  const cat = await openPerson(browser, `/r/${art}`);
  await joinRoom(cat, null, { name: 'Cat', devices: 'Microphone only' });
  await expectInRoom(cat, art);

  await ann.getByRole('tab', { name: maths }).click();
  await expect(tile(ann, maths, 'Ann (you)')).toBeVisible();
  await expectTilePlaying(tile(ann, maths, 'Ben'));
  await expectTilePlaying(tile(ben, maths, 'Ann'));
  // Cat writes in art while Ann looks at maths: art's tab shows it unread, until Ann opens it.
  await sendChat(cat, art, 'Anyone for painting?');
  await expect(ann.getByRole('tab', { name: new RegExp(art) }).getByLabel('1 unread message')).toBeVisible();
  await ann.getByRole('tab', { name: new RegExp(art) }).click();
  await expect(chatLog(ann, art)).toContainText('Anyone for painting?');
  await expect(ann.getByRole('tab', { name: new RegExp(art) }).getByLabel(/unread/)).toHaveCount(0);

  // Side by side: all three rooms on screen at once, Ben's picture still moving.
  await ann.getByRole('button', { name: 'Side by side' }).click();
  for (const room of [maths, physics, art]) await expect(roomPanel(ann, room)).toBeVisible();
  await expectTilePlaying(tile(ann, maths, 'Ben'));

  // Leaving physics keeps the other two going.
  await roomPanel(ann, physics).getByRole('button', { name: `Leave ${physics}` }).click();
  await expect(roomPanel(ann, physics)).toHaveCount(0);
  await sendChat(ben, maths, 'still here');
  await expect(chatLog(ann, maths)).toContainText('still here');

  // Five rooms is the most one tab can be in: the sixth is refused in words.
  // (Ann is in maths and art: three more make five, the sixth is one too many.) She joins them
  // in the audience and looks at one room at a time, which keeps her tab light on 2 cores.
  await ann.getByRole('button', { name: 'Tabs' }).click();
  for (const room of [uniqueRoom('r3'), uniqueRoom('r4'), uniqueRoom('r5'), uniqueRoom('r6')]) {
    await ann.getByRole('button', { name: 'Join another room' }).click();
    await joinRoom(ann, room, { role: 'Audience' });
    if (room.startsWith('r6')) break;
    await expectInRoom(ann, room);
  }
  await expect(ann.getByRole('tab')).toHaveCount(5);
  await expect(ann.getByRole('alert')).toContainText('You are already in 5 rooms');
  // The refusal loses nothing: the first room is still there and still works.
  await ann.getByRole('tab', { name: maths }).click();
  await expect(roomPanel(ann, maths)).toBeVisible();
  await expectInRoom(ann, maths);
});

test('an invite link carries two rooms: the invited person enters both', async ({ browser }) => {
  const [first, second] = [uniqueRoom('one'), uniqueRoom('two')];
  const ann = await openPerson(browser);
  await ann.getByLabel('Devices').selectOption({ label: 'No devices' });
  await joinRoom(ann, first, { name: 'Ann' });
  await ann.getByRole('button', { name: 'Join another room' }).click();
  await joinRoom(ann, second);
  await expectInRoom(ann, second);
  await ann.getByRole('button', { name: 'Copy link to all my rooms' }).click();
  const link = await ann.getByRole('textbox', { name: 'Invite link' }).first().inputValue();
  expect(link).toMatch(new RegExp(`/r/${first},${second}$`));

  const ben = await openPerson(browser, new URL(link).pathname);
  await expect(ben.getByRole('region', { name: 'You are invited' })).toContainText(`${first}, ${second}`);
  await ben.getByLabel('Devices').selectOption({ label: 'No devices' });
  await joinRoom(ben, null, { name: 'Ben' });
  await expect(ben.getByRole('tab')).toHaveText([first, second]);
  for (const room of [first, second]) {
    await ben.getByRole('tab', { name: room }).click();
    await expect(roomPanel(ben, room).getByRole('region', { name: '2 members' })).toContainText('Ann');
  }

  // A person whose name is known enters a linked room at once, no questions asked.
  await ben.goto(`/r/${first}`);
  await expectInRoom(ben, first);
});

test('[R-61] cross-room co-hosting: a member in two rooms shows a stream from one room in the other', async ({ browser }) => {
  const [stage, hall] = [uniqueRoom('stage'), uniqueRoom('hall')];
  const ben = await openPerson(browser);
  await joinRoom(ben, stage, { name: 'Ben' });
  const ann = await openPerson(browser, `/r/${stage}`);
  await joinRoom(ann, null, { name: 'Ann' });
  await expectInRoom(ann, stage);
  await ann.getByRole('button', { name: 'Join another room' }).click();
  await joinRoom(ann, hall);
  await expectInRoom(ann, hall);
  const cat = await openPerson(browser, `/r/${hall}`);
  await joinRoom(cat, null, { name: 'Cat', devices: 'No devices' });
  await expectInRoom(cat, hall);

  // Ann publishes into both rooms (one capture) and forwards Ben's camera from stage into hall.
  await expectTilePlaying(tile(cat, hall, 'Ann'));
  await ann.getByRole('tab', { name: stage }).click();
  await expectTilePlaying(tile(ann, stage, 'Ben'));
  await tile(ann, stage, 'Ben').getByRole('button', { name: `Show in ${hall}` }).click();
  await expectTilePlaying(tile(cat, hall, `Ann · From ${stage}`));
});
