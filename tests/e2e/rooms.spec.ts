import type { Browser, Page } from '@playwright/test';
import { test, expect } from './support/test';
import { call, openMember, uniqueRoom } from './support/room-client';

/**
 * The room client in real Chromium, each member in its own browser context (so peers meet over
 * the relay and WebRTC, never BroadcastChannel).
 */

/** userIds of the members `page` sees in `roomId`, self included. */
async function seenMembers(page: Page, roomId: string): Promise<string[]> {
  return page.evaluate((id) => (window.client?.room(id)?.members ?? []).map((m) => m.userId).sort(), roomId);
}

/** Alice and Bob in a new room (`label`), each seeing the other. */
async function aliceAndBobIn(browser: Browser, label: string): Promise<{ room: string; alice: Page; bob: Page }> {
  const room = uniqueRoom(label);
  const alice = await openMember(browser, 'alice');
  const bob = await openMember(browser, 'bob');
  await call(alice, 'enterRoom', { roomId: room });
  await call(bob, 'enterRoom', { roomId: room });
  await expect.poll(() => seenMembers(alice, room), { timeout: 20_000 }).toEqual(['alice', 'bob']);
  return { room, alice, bob };
}

test('[R-10][R-51] members see each other, including those present at entry; states go connecting -> connected', async ({ browser }) => {
  const room = uniqueRoom('meet');
  const alice = await openMember(browser, 'alice');
  const bob = await openMember(browser, 'bob');
  expect(await call(alice, 'enterRoom', { roomId: room })).toMatchObject({ roomId: room, state: 'connected' });
  expect(await call(bob, 'enterRoom', { roomId: room })).toMatchObject({ state: 'connected' });

  await expect.poll(() => seenMembers(alice, room), { timeout: 20_000 }).toEqual(['alice', 'bob']);
  await expect.poll(() => seenMembers(bob, room), { timeout: 20_000 }).toEqual(['alice', 'bob']);
  // Bob was told about Alice, who was already there when he entered.
  const bobJoined = await bob.evaluate(() => window.events.filter((e) => e.event === 'memberJoined').flatMap((e) => (e.event === 'memberJoined' ? e.members.map((m) => m.userId) : [])));
  expect(bobJoined).toContain('alice');
  const states = await alice.evaluate(() => window.events.flatMap((e) => (e.event === 'stateChanged' ? [`${e.state}(${e.reason})`] : [])));
  expect(states).toEqual(['connecting(entering)', 'connected(entered)']);
});

test('[R-51][R-14] a graceful leave is seen by the others within 1 s, and entering again right away works', async ({ browser }) => {
  const { room, alice, bob } = await aliceAndBobIn(browser, 'leave');

  const leftAt = await bob.evaluate(async (id) => {
    const at = Date.now();
    await window.call('leaveRoom', id);
    return at;
  }, room);
  await expect.poll(() => seenMembers(alice, room), { timeout: 5_000 }).toEqual(['alice']);
  const seenAt = await alice.evaluate(() => {
    const left = window.events.find((e) => e.event === 'memberLeft');
    return left && left.event === 'memberLeft' ? { at: left.at, reason: left.reason, who: left.members.map((m) => m.userId) } : null;
  });
  expect(seenAt).toMatchObject({ reason: 'left', who: ['bob'] });
  expect(seenAt!.at - leftAt).toBeLessThan(1000);
  expect(await bob.evaluate(() => window.events.at(-1))).toMatchObject({ event: 'stateChanged', state: 'disconnected', reason: 'left' });

  // Leaving really left: the same room can be entered again at once (DESIGN.md §2).
  expect(await call(bob, 'enterRoom', { roomId: room })).toMatchObject({ state: 'connected' });
  await expect.poll(() => seenMembers(alice, room), { timeout: 20_000 }).toEqual(['alice', 'bob']);
});

test('[R-14][R-3] one who left is gone from the relay too: no one connects to it, and the room ends with its last member', async ({ browser }) => {
  const { room, alice, bob } = await aliceAndBobIn(browser, 'gone');
  await expect.poll(() => alice.evaluate(() => window.client!.peerConnectionCount), { timeout: 20_000 }).toEqual({ created: 1, open: 1 });

  await call(bob, 'leaveRoom', room);
  await expect.poll(() => seenMembers(alice, room), { timeout: 5_000 }).toEqual(['alice']);
  // y-webrtc announces a leaving peer to the room again as its connections close (announce-gate.ts
  // leaveQuietly): Alice then offered to Bob's old self, and the relay kept Bob in the room.
  // Once the connection to Bob is closed, a while for a new one to show up.
  await expect.poll(() => alice.evaluate(() => window.client!.peerConnectionCount.open), { timeout: 10_000 }).toBe(0);
  await alice.waitForTimeout(1500);
  expect(await alice.evaluate(() => window.client!.peerConnectionCount)).toEqual({ created: 1, open: 0 });
  await call(alice, 'leaveRoom', room);
  const carol = await openMember(browser, 'carol');
  // (Once: a room that is still there would be joined, and a second try would say ALREADY_IN_ROOM.)
  expect(await call(carol, 'joinRoom', room)).toEqual({ error: 'ROOM_NOT_FOUND' });
});

test('[R-11][R-12] createRoom of an existing room and joinRoom of a missing one fail and leave nothing behind', async ({ browser }) => {
  const room = uniqueRoom('exists');
  const alice = await openMember(browser, 'alice');
  const bob = await openMember(browser, 'bob');
  expect(await call(bob, 'joinRoom', room)).toEqual({ error: 'ROOM_NOT_FOUND' });
  expect(await call(alice, 'createRoom', { roomId: room })).toMatchObject({ state: 'connected' });
  expect(await call(bob, 'createRoom', { roomId: room })).toEqual({ error: 'ROOM_ALREADY_EXISTS' });
  expect(await bob.evaluate(() => window.client!.roomIds)).toEqual([]);
  expect(await call(bob, 'joinRoom', room)).toMatchObject({ state: 'connected' });
  await expect.poll(() => seenMembers(bob, room), { timeout: 20_000 }).toEqual(['alice', 'bob']);
});

test('[R-16][R-15][R-2] room limit, leave-all, and bad room ids rejected before any network work', async ({ browser }) => {
  const alice = await openMember(browser, 'alice', { maxRooms: 2 });
  const [r1, r2, r3] = [uniqueRoom('a'), uniqueRoom('b'), uniqueRoom('c')];
  expect(await call(alice, 'enterRoom', { roomId: r1 })).toMatchObject({ state: 'connected' });
  expect(await call(alice, 'enterRoom', { roomId: r2 })).toMatchObject({ state: 'connected' });
  const eventsBefore = await alice.evaluate(() => window.events.length);
  expect(await call(alice, 'enterRoom', { roomId: r3 })).toEqual({ error: 'ROOM_LIMIT_EXCEEDED' });
  expect(await call(alice, 'enterRoom', { roomId: 'has space' })).toEqual({ error: 'INVALID_ROOM_ID' });
  expect(await call(alice, 'enterRoom', { roomId: r1 })).toEqual({ error: 'ALREADY_IN_ROOM' });
  // Nothing happened: no state change for any of the refused calls.
  expect(await alice.evaluate(() => window.events.length)).toBe(eventsBefore);

  expect(((await call(alice, 'leaveAllRooms')) as string[]).sort()).toEqual([r1, r2].sort());
  expect(await alice.evaluate(() => window.client!.roomIds)).toEqual([]);
  expect(await call(alice, 'leaveRoom', r1)).toEqual({ error: 'NOT_IN_ROOM' });
  expect(await call(alice, 'enterRoom', { roomId: r3 })).toMatchObject({ state: 'connected' });
});

test('[R-51] closing the tab is a graceful leave: the others see memberLeft(left) within 1 s', async ({ browser }) => {
  const room = uniqueRoom('tabclose');
  const alice = await openMember(browser, 'alice');
  const bob = await openMember(browser, 'bob');
  await call(alice, 'enterRoom', { roomId: room });
  await call(bob, 'enterRoom', { roomId: room });
  await expect.poll(() => seenMembers(alice, room), { timeout: 20_000 }).toEqual(['alice', 'bob']);

  const closedAt = await alice.evaluate(() => Date.now());
  await bob.close({ runBeforeUnload: true });
  await expect.poll(() => seenMembers(alice, room), { timeout: 5_000 }).toEqual(['alice']);
  const left = await alice.evaluate(() => window.events.find((e) => e.event === 'memberLeft'));
  expect(left).toMatchObject({ event: 'memberLeft', reason: 'left' });
  expect(left!.at - closedAt).toBeLessThan(1000);
});

test('[R-51] a crashed member (context gone, no unload) is seen as memberLeft(timeout) within 15 s', async ({ browser }) => {
  const room = uniqueRoom('crash');
  const alice = await openMember(browser, 'alice');
  const bob = await openMember(browser, 'bob');
  await call(alice, 'enterRoom', { roomId: room });
  await call(bob, 'enterRoom', { roomId: room });
  await expect.poll(() => seenMembers(alice, room), { timeout: 20_000 }).toEqual(['alice', 'bob']);

  const crashedAt = await alice.evaluate(() => Date.now());
  // No beforeunload, no pagehide: the tab is simply gone, like a crash or a pulled cable.
  await bob.context().close();
  await expect.poll(() => seenMembers(alice, room), { timeout: 20_000, intervals: [250] }).toEqual(['alice']);
  const left = await alice.evaluate(() => window.events.find((e) => e.event === 'memberLeft'));
  expect(left).toMatchObject({ event: 'memberLeft', reason: 'timeout', members: [expect.objectContaining({ userId: 'bob' })] });
  console.log(`crash seen after ${left!.at - crashedAt} ms`);
  expect(left!.at - crashedAt).toBeLessThan(15_000);
});
