import type { Page } from '@playwright/test';
import { test, expect } from './support/test';
import { call, openMember, uniqueRoom } from './support/room-client';
import { openCuttableMember } from './support/data-channel-cut';

/**
 * [R-52][R-50] One member's browser goes offline (`context.setOffline`) while everyone keeps
 * chatting, then comes back: every member ends with the same messages, each exactly once, in
 * the same order, none lost.
 *
 * What `setOffline(true)` does in Chromium (156, measured): `navigator.onLine` turns false, new
 * requests and WebSockets fail, and an open WebSocket is *held*, not closed: nothing it sends or
 * receives moves (its close event included) until the context is online again. WebRTC is not
 * affected at all. So:
 *  - the first test is the plain scenario: the offline member's relay socket is frozen, but its
 *    data channels keep working, so chat reaches everyone *while* it is offline, and nobody is
 *    timed out. It checks that nothing is lost or doubled, not that anything waited;
 *  - the second also cuts the data channel (what an outage longer than ICE consent does), so
 *    what either side sends can only arrive after the member is back, through the relay. Both
 *    ends then reconnect at once, and y-webrtc's glare can leave the pair stuck for good; the
 *    room gives such connections up and retries (stuck-connections.ts);
 *  - the third is what SPEC §4 asks of the state: the room follows the window's offline and
 *    online events, because the frozen socket says nothing.
 */

const OFFLINE_ROUNDS = 4;
const OFFLINE_ROUND_MS = 2_500;

const userIds = (page: Page, roomId: string) => page.evaluate((id) => (window.client?.room(id)?.members ?? []).map((m) => m.userId).sort(), roomId);
const messageIds = (page: Page, roomId: string) => page.evaluate((id) => window.client?.room(id)?.messages.map((m) => m.id) ?? [], roomId);
const states = (page: Page) => page.evaluate(() => window.events.flatMap((e) => (e.event === 'stateChanged' ? [`${e.state}(${e.reason})`] : [])));
const roomState = (page: Page, roomId: string) => page.evaluate((id) => window.client?.room(id)?.state ?? null, roomId);
const isOnline = (page: Page) => page.evaluate(() => navigator.onLine);
/** How often each message id was announced by a `message` event. */
const messageEventCounts = (page: Page, roomId: string) =>
  page.evaluate((id) => {
    const counts: Record<string, number> = {};
    for (const e of window.events) if (e.event === 'message' && e.roomId === id) counts[e.id] = (counts[e.id] ?? 0) + 1;
    return counts;
  }, roomId);
/** `userId (reason)` for every member this page saw leave. */
const departures = (page: Page, roomId: string) =>
  page.evaluate((id) => window.events.flatMap((e) => (e.event === 'memberLeft' && e.roomId === id ? e.members.map((m) => `${m.userId} (${e.reason})`) : [])).sort(), roomId);
const hold = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** What each member sent, in the order sent: the truth the histories are checked against. */
class SentLog {
  readonly byUser = new Map<string, string[]>();

  async send(page: Page, userId: string, roomId: string, text: string): Promise<void> {
    const sent = (await call(page, 'sendMessage', roomId, text)) as { id?: string };
    expect(sent, `${userId} could not send "${text}"`).toHaveProperty('id');
    this.byUser.set(userId, [...(this.byUser.get(userId) ?? []), sent.id!]);
  }

  get all(): string[] {
    return [...this.byUser.values()].flat();
  }

  of(userIds: string[]): string[] {
    return userIds.flatMap((userId) => this.byUser.get(userId) ?? []);
  }
}

/** Everyone ends with every sent message exactly once, in one order that keeps each sender's order. */
async function expectSameHistory(pages: Page[], roomId: string, sent: SentLog): Promise<void> {
  const everything = [...sent.all].sort();
  for (const page of pages) await expect.poll(async () => (await messageIds(page, roomId)).sort(), { timeout: 20_000 }).toEqual(everything);
  const histories = await Promise.all(pages.map((page) => messageIds(page, roomId)));
  for (const history of histories.slice(1)) expect(history).toEqual(histories[0]);
  for (const [, ids] of sent.byUser) expect(histories[0].filter((id) => ids.includes(id))).toEqual(ids);
  const once = Object.fromEntries(everything.map((id) => [id, 1]));
  for (const page of pages) expect(await messageEventCounts(page, roomId)).toEqual(once);
}

/**
 * Entered, then only network-loss round trips, ending connected: the transitions a room may make
 * while its browser is offline and back, whether or not it notices.
 */
async function expectConnectedAfterAnyNetworkLoss(page: Page, roomId: string): Promise<void> {
  await expect.poll(() => roomState(page, roomId), { timeout: 20_000 }).toBe('connected');
  const seen = await states(page);
  expect(seen.slice(0, 2)).toEqual(['connecting(entering)', 'connected(entered)']);
  const afterEntry = seen.slice(2);
  expect(afterEntry).toEqual(afterEntry.map((_, i) => (i % 2 === 0 ? 'reconnecting(network-lost)' : 'connected(reconnected)')));
}

async function enterAll(pages: Page[], roomId: string, expectedUserIds: string[]): Promise<void> {
  for (const page of pages) expect(await call(page, 'enterRoom', { roomId })).toMatchObject({ state: 'connected' });
  for (const page of pages) await expect.poll(() => userIds(page, roomId), { timeout: 20_000 }).toEqual(expectedUserIds);
}

test('[R-52][R-50] a member offline for 10 s: chat sent on both sides meanwhile reaches everyone once, in one order; nobody drops out', async ({ browser }) => {
  const room = uniqueRoom('offline');
  const alice = await openMember(browser, 'alice');
  const bob = await openMember(browser, 'bob');
  const carol = await openMember(browser, 'carol');
  const everyone = [alice, bob, carol];
  await enterAll(everyone, room, ['alice', 'bob', 'carol']);
  const sent = new SentLog();
  await sent.send(alice, 'alice', room, 'before');

  await bob.context().setOffline(true);
  expect(await isOnline(bob)).toBe(false);
  for (let round = 0; round < OFFLINE_ROUNDS; round++) {
    await sent.send(bob, 'bob', room, `bob, offline ${round}`);
    await sent.send(alice, 'alice', room, `alice, bob offline ${round}`);
    if (round % 2 === 0) await sent.send(carol, 'carol', room, `carol, bob offline ${round}`);
    // The outage lasts as long as these rounds: a scenario's duration, not a wait for a result.
    await hold(OFFLINE_ROUND_MS);
  }
  // setOffline leaves WebRTC alone: the data channels carried everything while Bob was offline.
  // (Should a Chromium update make setOffline cut WebRTC, this fails first: then the second
  // test's cut is no longer needed.)
  for (const page of everyone) await expect.poll(async () => (await messageIds(page, room)).length, { timeout: 5_000 }).toBe(sent.all.length);
  expect(await isOnline(bob)).toBe(false);

  await bob.context().setOffline(false);
  expect(await isOnline(bob)).toBe(true);
  await sent.send(bob, 'bob', room, 'bob, back');
  await sent.send(carol, 'carol', room, 'carol, after');

  await expectSameHistory(everyone, room, sent);
  // Beats kept flowing peer to peer, so nobody was timed out.
  for (const page of everyone) expect(await departures(page, room)).toEqual([]);
  for (const page of [alice, carol]) expect(await states(page)).toEqual(['connecting(entering)', 'connected(entered)']);
  await expectConnectedAfterAnyNetworkLoss(bob, room);
});

// Fails today, so it does not run: after an outage that ended the peer connections, the two
// members never met again within 20 s, and what they sent meanwhile never arrived (4 of 4 runs;
// 5 of 5 in a three-member room). Both come back at the same moment and both re-announce
// themselves, so both open an initiating y-webrtc connection to the other ("glare").
// y-webrtc 10.3.0 then either (a) ends with two connected peers that each send on the data
// channel they created and listen on nothing else, the other's channel arriving as a
// `datachannel` event that an initiating simple-peer ignores ("connected" but deaf, for good),
// or (b) leaves one side in have-local-offer and the other waiting for an offer
// (ERR_SET_LOCAL_DESCRIPTION), and ignores every later announce from a peer it still has a
// connection object for. Two members, so no third one can relay between them and hide it.
// Pre-negotiated channels (`channelConfig: { negotiated: true, id: 0 }` in peerOpts) would fix
// (a) but part our peers from stock y-webrtc ones; the room instead gives up connections that
// are not connected and synced after 8-14 s, which fixes (a) and (b) (stuck-connections.ts).
test('[R-52][R-50][R-51] a member offline with its peer connection cut: what both sides sent arrives after it is back, once, in one order', async ({ browser }) => {
  const room = uniqueRoom('offline-cut');
  const alice = await openMember(browser, 'alice');
  const bob = await openCuttableMember(browser, 'bob');
  const both = [alice, bob];
  await enterAll(both, room, ['alice', 'bob']);
  const sent = new SentLog();
  await sent.send(alice, 'alice', room, 'before');
  for (const page of both) await expect.poll(() => messageIds(page, room), { timeout: 10_000 }).toEqual(sent.all);

  await bob.context().setOffline(true);
  // y-webrtc's channel and the media control channel beside it (media-lines.ts).
  expect(await bob.evaluate(() => window.cutDataChannels())).toBe(2);
  await sent.send(bob, 'bob', room, 'bob, just cut off');
  await sent.send(alice, 'alice', room, 'alice, bob just cut off');
  // Lost network is seen within 15 s, on both sides of the cut. Waiting for it is what
  // keeps the outage long enough (6-12 s with the room's 10 s silence timeout).
  await expect.poll(() => userIds(alice, room), { timeout: 15_000 }).toEqual(['alice']);
  await expect.poll(() => userIds(bob, room), { timeout: 15_000 }).toEqual(['bob']);
  await sent.send(bob, 'bob', room, 'bob, alone');
  await sent.send(alice, 'alice', room, 'alice, alone');

  // Nothing crossed the cut: each side has only its own messages and the one from before.
  expect(await messageIds(alice, room)).toEqual(sent.of(['alice']));
  expect(await messageIds(bob, room)).toEqual([sent.of(['alice'])[0], ...sent.of(['bob'])]);

  await bob.context().setOffline(false);
  // Both ends announce at once when Bob is back, so their connections can glare and stick;
  // each end gives its attempt up after 8-14 s (stuck-connections.ts) and the later one's
  // announce starts a clean one: up to ~15 s plus connecting, more on a loaded machine.
  for (const page of both) await expect.poll(() => userIds(page, room), { timeout: 40_000 }).toEqual(['alice', 'bob']);
  await sent.send(bob, 'bob', room, 'bob, back');

  await expectSameHistory(both, room, sent);
  expect(await departures(alice, room)).toEqual(['bob (timeout)']);
  expect(await departures(bob, room)).toEqual(['alice (timeout)']);
  expect(await states(alice)).toEqual(['connecting(entering)', 'connected(entered)']);
  await expectConnectedAfterAnyNetworkLoss(bob, room);
});

// says network loss is connected -> reconnecting(network-lost) -> connected(reconnected).
// Chromium holds an offline socket's close event until it is back online (measured: 50 s
// offline and the socket alone said nothing), so the room also follows the window's
// `offline`/`online` events.
test('[R-50] a member whose browser goes offline sees reconnecting(network-lost), then connected(reconnected) once back', async ({ browser }) => {
  const room = uniqueRoom('offline-state');
  const alice = await openMember(browser, 'alice');
  const bob = await openMember(browser, 'bob');
  await enterAll([alice, bob], room, ['alice', 'bob']);

  await bob.context().setOffline(true);
  await expect.poll(() => states(bob), { timeout: 5_000 }).toEqual(['connecting(entering)', 'connected(entered)', 'reconnecting(network-lost)']);
  await bob.context().setOffline(false);
  await expect
    .poll(() => states(bob), { timeout: 10_000 })
    .toEqual(['connecting(entering)', 'connected(entered)', 'reconnecting(network-lost)', 'connected(reconnected)']);
  expect(await states(alice)).toEqual(['connecting(entering)', 'connected(entered)']);
});
