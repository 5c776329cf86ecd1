import type { Page } from '@playwright/test';
import { test, expect } from './support/test';
import { call, openMember, startHarness, uniqueRoom } from './support/room-client';

/** Chat, attributes and switching in real Chromium, each member in its own browser context. */

function snapshot(page: Page, roomId: string) {
  return page.evaluate((id) => window.client?.room(id) ?? null, roomId);
}

async function bothIn(alice: Page, bob: Page, roomId: string): Promise<void> {
  expect(await call(alice, 'enterRoom', { roomId })).toMatchObject({ state: 'connected' });
  expect(await call(bob, 'enterRoom', { roomId })).toMatchObject({ state: 'connected' });
  for (const page of [alice, bob]) {
    await expect.poll(async () => (await snapshot(page, roomId))?.members.length, { timeout: 20_000 }).toBe(2);
  }
}

test('[R-20][R-52] chat text and custom messages arrive, in the same order for both members', async ({ browser }) => {
  const room = uniqueRoom('chat');
  const alice = await openMember(browser, 'alice');
  const bob = await openMember(browser, 'bob');
  await bothIn(alice, bob, room);

  await call(alice, 'sendMessage', room, 'hello bob');
  await call(bob, 'sendMessage', room, 'hi alice 👋');
  await call(alice, 'sendMessage', room, { type: 'poll', payload: { question: 'Lunch?', options: ['noodles', 'rice'] } });
  // Two at once from both sides: whatever order Yjs picks, both must agree on it.
  await Promise.all([call(alice, 'sendMessage', room, 'same time A'), call(bob, 'sendMessage', room, 'same time B')]);

  const texts = (page: Page) =>
    snapshot(page, room).then((s) => s?.messages.map((m) => m.text ?? `[${m.custom?.type}]`) ?? []);
  await expect.poll(() => texts(bob), { timeout: 10_000 }).toHaveLength(5);
  await expect.poll(() => texts(alice), { timeout: 10_000 }).toHaveLength(5);
  expect(await texts(alice)).toEqual(await texts(bob));
  expect((await texts(bob)).slice(0, 3)).toEqual(['hello bob', 'hi alice 👋', '[poll]']);

  const poll = (await snapshot(bob, room))!.messages[2];
  expect(poll).toMatchObject({ from: { userId: 'alice', userName: 'User alice' }, custom: { type: 'poll', payload: { question: 'Lunch?', options: ['noodles', 'rice'] } } });
  // Bob was told by a `message` event with the room id, as a UI would be.
  const bobEvents = await bob.evaluate(() => window.events.filter((e) => e.event === 'message').map((e) => (e.event === 'message' ? `${e.roomId}:${e.text ?? e.custom?.type}` : '')));
  expect(bobEvents).toContain(`${room}:hello bob`);

  expect(await call(alice, 'sendMessage', room, 'x'.repeat(32 * 1024 + 1))).toEqual({ error: 'MESSAGE_TOO_LARGE' });
  expect((await texts(alice)).length).toBe(5);
});

test('[R-52] a late joiner gets the whole chat history', async ({ browser }) => {
  const room = uniqueRoom('history');
  const alice = await openMember(browser, 'alice');
  await call(alice, 'enterRoom', { roomId: room });
  for (let i = 0; i < 50; i++) await call(alice, 'sendMessage', room, `message ${i}`);
  const bob = await openMember(browser, 'bob');
  await call(bob, 'enterRoom', { roomId: room });
  await expect.poll(async () => (await snapshot(bob, room))?.messages.length, { timeout: 20_000 }).toBe(50);
  expect((await snapshot(bob, room))!.messages.at(-1)).toMatchObject({ text: 'message 49', from: { userId: 'alice' } });
});

test('[R-21][R-22] room and member attributes are shared, with change events and limits', async ({ browser }) => {
  const room = uniqueRoom('attrs');
  const alice = await openMember(browser, 'alice');
  const bob = await openMember(browser, 'bob');
  await bothIn(alice, bob, room);

  await call(alice, 'setRoomAttributes', room, { topic: 'Fractions', level: '7' });
  await expect.poll(async () => (await snapshot(bob, room))?.attributes, { timeout: 10_000 }).toEqual({ topic: 'Fractions', level: '7' });
  await call(bob, 'deleteRoomAttributes', room, ['level']);
  await expect.poll(async () => (await snapshot(alice, room))?.attributes, { timeout: 10_000 }).toEqual({ topic: 'Fractions' });
  const aliceSaw = await alice.evaluate(() => window.events.filter((e) => e.event === 'attributesChanged').map((e) => (e.event === 'attributesChanged' ? { updated: e.updated, deleted: e.deleted } : null)));
  expect(aliceSaw).toContainEqual({ updated: {}, deleted: ['level'] });
  expect(await call(alice, 'setRoomAttributes', room, { big: 'x'.repeat(8193) })).toEqual({ error: 'ATTRIBUTE_LIMIT' });

  await call(bob, 'setMemberAttributes', room, { hand: 'raised' });
  const bobAsSeenByAlice = () => snapshot(alice, room).then((s) => s?.members.find((m) => m.userId === 'bob')?.attributes);
  await expect.poll(bobAsSeenByAlice, { timeout: 10_000 }).toEqual({ hand: 'raised' });
  const updates = await alice.evaluate(() => window.events.filter((e) => e.event === 'memberUpdated').map((e) => (e.event === 'memberUpdated' ? e.member.attributes : null)));
  expect(updates).toContainEqual({ hand: 'raised' });
  await call(bob, 'setMemberAttributes', room, { hand: null });
  await expect.poll(bobAsSeenByAlice, { timeout: 10_000 }).toEqual({});
});

test('[R-13] switchRoom A -> B -> A: new room connected before the old one is left; a failed switch keeps the old room', async ({ browser }) => {
  const [roomA, roomB, missing] = [uniqueRoom('A'), uniqueRoom('B'), uniqueRoom('missing')];
  const alice = await openMember(browser, 'alice');
  const bob = await openMember(browser, 'bob');
  await call(bob, 'enterRoom', { roomId: roomA });
  await call(alice, 'enterRoom', { roomId: roomA });

  expect(await call(alice, 'switchRoom', roomA, { roomId: roomB }, { createIfMissing: true })).toMatchObject({ roomId: roomB, state: 'connected' });
  expect(await alice.evaluate(() => window.client!.roomIds)).toEqual([roomB]);
  expect(await call(alice, 'switchRoom', roomB, { roomId: roomA })).toMatchObject({ roomId: roomA, state: 'connected' });
  await expect.poll(async () => (await snapshot(alice, roomA))?.members.map((m) => m.userId).sort(), { timeout: 20_000 }).toEqual(['alice', 'bob']);

  const states = await alice.evaluate(() => window.events.flatMap((e) => (e.event === 'stateChanged' ? [`${e.roomId.split('-')[0]}:${e.state}(${e.reason})`] : [])));
  expect(states).toEqual([
    'A:connecting(entering)',
    'A:connected(entered)',
    'B:connecting(switching)',
    'B:connected(entered)',
    'A:disconnected(left)',
    'A:connecting(switching)',
    'A:connected(entered)',
    'B:disconnected(left)',
  ]);

  // Switching to a room that does not exist fails and changes nothing.
  expect(await call(alice, 'switchRoom', roomA, { roomId: missing })).toEqual({ error: 'ROOM_NOT_FOUND' });
  expect(await alice.evaluate(() => window.client!.roomIds)).toEqual([roomA]);
  expect((await snapshot(alice, roomA))?.state).toBe('connected');
  expect(await alice.evaluate(() => window.events.at(-1))).toMatchObject({ event: 'stateChanged', state: 'disconnected', reason: 'switch-failed' });
  expect(await call(alice, 'switchRoom', 'not-mine', { roomId: roomB })).toEqual({ error: 'NOT_IN_ROOM' });
});

test('[R-41] a wrong password ends in disconnected(wrong-password) and sees no member, message or attribute', async ({ browser }) => {
  const room = uniqueRoom('secret');
  const alice = await openMember(browser, 'alice');
  const bob = await openMember(browser, 'bob');
  const mallory = await openMember(browser, 'mallory');
  expect(await call(alice, 'createRoom', { roomId: room }, { password: 'correct horse' })).toMatchObject({ state: 'connected' });
  await call(alice, 'sendMessage', room, 'the plan');
  await call(alice, 'setRoomAttributes', room, { topic: 'secret topic' });

  for (const password of ['wrong', undefined]) {
    expect(await call(mallory, 'joinRoom', room, password ? { password } : {})).toEqual({ error: 'WRONG_PASSWORD' });
    expect(await mallory.evaluate(() => window.events.filter((e) => e.event === 'stateChanged').at(-1))).toMatchObject({ state: 'disconnected', reason: 'wrong-password' });
  }
  expect(await mallory.evaluate(() => window.events.filter((e) => e.event !== 'stateChanged'))).toEqual([]);
  expect(await mallory.evaluate(() => window.client!.roomIds)).toEqual([]);

  // The right password gets everything.
  expect(await call(bob, 'joinRoom', room, { password: 'correct horse' })).toMatchObject({ state: 'connected' });
  await expect.poll(async () => (await snapshot(bob, room))?.messages.map((m) => m.text), { timeout: 20_000 }).toEqual(['the plan']);
  expect((await snapshot(bob, room))?.attributes).toEqual({ topic: 'secret topic' });
});

test('[R-52] history is kept in the browser: after a reload it is there before anyone else is', async ({ browser }) => {
  const room = uniqueRoom('persist');
  const alice = await openMember(browser, 'alice');
  await call(alice, 'enterRoom', { roomId: room });
  for (const text of ['one', 'two', 'three']) await call(alice, 'sendMessage', room, text);
  await alice.reload();
  await startHarness(alice, 'alice');
  // Alone in the room after the reload: the history can only come from this browser's storage.
  await call(alice, 'enterRoom', { roomId: room });
  expect((await snapshot(alice, room))?.messages.map((m) => m.text)).toEqual(['one', 'two', 'three']);
});

test('[R-52] a room whose chat holds 10,000 messages syncs completely to a late joiner in another browser', async ({ browser }) => {
  const room = uniqueRoom('bighistory');
  // No IndexedDB for this one: the point is what crosses WebRTC, not 10,000 local writes.
  const alice = await openMember(browser, 'alice', { persistHistory: false });
  await call(alice, 'enterRoom', { roomId: room });
  await alice.evaluate(async (id) => {
    for (let i = 0; i < 10_000; i++) await window.client!.sendMessage(id, `message ${i}: ${'lorem ipsum dolor sit amet '.repeat(4)}`);
  }, room);
  const bob = await openMember(browser, 'bob', { persistHistory: false });
  await call(bob, 'enterRoom', { roomId: room });
  await expect.poll(async () => (await snapshot(bob, room))?.messages.length, { timeout: 30_000 }).toBe(10_000);
  const last = (await snapshot(bob, room))!.messages.at(-1)!;
  expect(last.text).toMatch(/^message 9999: /);
  // And the room is live afterwards, both ways.
  await call(bob, 'sendMessage', room, 'caught up');
  await expect.poll(async () => (await snapshot(alice, room))?.messages.at(-1)?.text, { timeout: 10_000 }).toBe('caught up');
});
