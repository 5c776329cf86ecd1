import type { Page } from '@playwright/test';
import { test, expect } from './support/test';
import { call, openMember, uniqueRoom } from './support/room-client';

/**
 * A room's name outlives the room: once its last member has left, whoever enters the
 * name next creates another room. What a browser stored of the old one must stay out of
 * it: old chat reaching new people, or an old `meta.host` taking the host role.
 */

function snapshot(page: Page, roomId: string) {
  return page.evaluate((id) => window.client?.room(id) ?? null, roomId);
}

const texts = async (page: Page, roomId: string) => (await snapshot(page, roomId))?.messages.map((message) => message.text) ?? [];

/** The IndexedDB databases this browser keeps for the room. */
const storedLives = (page: Page, roomId: string) =>
  page.evaluate(async (id) => (await indexedDB.databases()).flatMap((info) => (info.name?.startsWith(`mesh-rooms/${id}`) ? [info.name] : [])), roomId);

test('[R-3][R-52] a room created again under an old name starts afresh: the old room’s chat and host stay out of it', async ({ browser }) => {
  const room = uniqueRoom('lives');
  const alice = await openMember(browser, 'alice');
  expect(await call(alice, 'enterRoom', { roomId: room })).toMatchObject({ state: 'connected' });
  await call(alice, 'sendMessage', room, 'said in the first room');
  // Alice was alone: leaving ends the room (destroyDelay 0). Her browser still has its history.
  await call(alice, 'leaveRoom', room);
  expect(await storedLives(alice, room)).toHaveLength(1);

  // Bob creates a room of the same name, and is its host; then Alice comes back to the name.
  const bob = await openMember(browser, 'bob');
  expect(await call(bob, 'enterRoom', { roomId: room })).toMatchObject({ state: 'connected' });
  await call(bob, 'sendMessage', room, 'said in the second room');
  expect(await call(alice, 'enterRoom', { roomId: room })).toMatchObject({ state: 'connected' });
  await call(alice, 'sendMessage', room, 'alice is here');

  // Both have synced everything there is (Alice's new message reached Bob, Bob's reached Alice),
  // and nothing of the first room. The two were sent concurrently, so either may come first,
  // but in the same order for both.
  for (const page of [alice, bob]) {
    await expect.poll(async () => (await texts(page, room)).sort(), { timeout: 20_000 }).toEqual(['alice is here', 'said in the second room']);
  }
  expect(await texts(alice, room)).toEqual(await texts(bob, room));
  // The host is Bob, who made this room, for both of them.
  for (const page of [alice, bob]) {
    const members = (await snapshot(page, room))?.members ?? [];
    expect(members.find((member) => member.role === 'host')?.userId).toBe('bob');
  }
  // Alice's browser dropped the old room's copy and keeps the new one's.
  await expect.poll(() => storedLives(alice, room)).toHaveLength(1);
});
