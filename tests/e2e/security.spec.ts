import type { Browser, Page } from '@playwright/test';
import { test, expect } from './support/test';
import { WebSocket } from 'ws';
import { call, openMember, uniqueRoom } from './support/room-client';
import { expectVideoPlaying, openMediaMember, play, publishCamera } from './support/media';
import { bundleFixture } from './support/bundle';

/**
 * Security in real Chromium, each member in its own browser context (SECURITY.md):
 * - kick: every honest peer drops the kicked member within 2 s (measured from the kick on
 *   each page's clock), and it cannot come back with the same identity while the ban lasts;
 * - wrong password: a client without the password learns nothing of the room, even one
 *   that skips our relay's password check (stock y-webrtc, which does not ask);
 * - what the relay forwards for a password room is ciphertext and room ids only: a tap
 *   subscribed to the room's topics, as any relay operator could, sees no name, message,
 *   attribute or SDP.
 */

// Three browser contexts (or two with media) on a 2-core machine that other runs share: the
// setup alone can take most of the default minute under load.
test.describe.configure({ timeout: 120_000 });

const KICK_DEADLINE_MS = 2000;

function memberId(page: Page, roomId: string, userId: string): Promise<string> {
  return page.evaluate(([id, user]) => window.client!.room(id)!.members.find((m) => m.userId === user)!.memberId, [roomId, userId] as const);
}

function userIds(page: Page, roomId: string): Promise<string[]> {
  return page.evaluate((id) => (window.client?.room(id)?.members ?? []).map((m) => m.userId).sort(), roomId);
}

/** When (page clock, ms since the epoch) `userId` was reported gone as kicked; null if not yet. */
function kickedAt(page: Page, roomId: string, userId: string): Promise<number | null> {
  return page.evaluate(
    ([room, user]) => {
      const event = window.events.find((e) => e.event === 'memberLeft' && e.roomId === room && e.reason === 'kicked' && e.members.some((m) => m.userId === user));
      return event?.at ?? null;
    },
    [roomId, userId] as const,
  );
}

/** When this page's room ended disconnected(kicked), the n-th time; null if not (yet). */
function ownKickAt(page: Page, roomId: string, nth = 0): Promise<number | null> {
  return page.evaluate(
    ([room, n]) => window.events.filter((e) => e.event === 'stateChanged' && e.roomId === room && e.state === 'disconnected' && e.reason === 'kicked')[n]?.at ?? null,
    [roomId, nth] as const,
  );
}

test('[R-40] kick: every honest peer drops the kicked member within 2 s; the same identity cannot come back while banned', async ({ browser }) => {
  const room = uniqueRoom('sec-kick');
  const alice = await openMember(browser, 'alice');
  const bob = await openMember(browser, 'bob');
  const carol = await openMember(browser, 'carol');
  expect(await call(alice, 'createRoom', { roomId: room })).toMatchObject({ state: 'connected' });
  await call(bob, 'joinRoom', room);
  await call(carol, 'joinRoom', room);
  for (const page of [alice, bob, carol]) await expect.poll(() => userIds(page, room), { timeout: 20_000 }).toEqual(['alice', 'bob', 'carol']);

  // All pages run on this machine's clock, so their event stamps compare with the kick's.
  const bobsId = await memberId(alice, room, 'bob');
  const kickStart = await alice.evaluate(() => Date.now());
  await call(alice, 'kick', room, bobsId);
  await expect.poll(() => ownKickAt(bob, room), { timeout: KICK_DEADLINE_MS + 3000 }).not.toBeNull();
  for (const page of [alice, carol]) await expect.poll(() => kickedAt(page, room, 'bob'), { timeout: KICK_DEADLINE_MS + 3000 }).not.toBeNull();
  const delays = {
    alice: (await kickedAt(alice, room, 'bob'))! - kickStart,
    carol: (await kickedAt(carol, room, 'bob'))! - kickStart,
    bobLeaves: (await ownKickAt(bob, room))! - kickStart,
  };
  console.log(`kick → dropped (ms): ${JSON.stringify(delays)}`);
  for (const [who, ms] of Object.entries(delays)) expect(ms, who).toBeLessThanOrEqual(KICK_DEADLINE_MS);
  for (const page of [alice, carol]) expect(await userIds(page, room)).toEqual(['alice', 'carol']);

  // Back with the same identity, in a fresh browser context (no stored copy of the ban: the
  // ban reaches it from the peers), while the ban lasts: sent away, never listed by the others.
  await bob.context().close();
  const bobAgain = await openMember(browser, 'bob');
  await call(bobAgain, 'enterRoom', { roomId: room });
  await expect.poll(() => ownKickAt(bobAgain, room), { timeout: 20_000 }).not.toBeNull();
  expect(await bobAgain.evaluate(() => window.client!.roomIds)).toEqual([]);
  for (const page of [alice, carol]) {
    expect(await userIds(page, room)).toEqual(['alice', 'carol']);
    const bobJoins = await page.evaluate((id) => window.events.filter((e) => e.event === 'memberJoined' && e.roomId === id && e.members.some((m) => m.userId === 'bob')).length, room);
    expect(bobJoins, 'bob was listed again').toBe(1);
  }
  // Someone else is welcome: the ban is on the identity.
  const dave = await openMember(browser, 'dave');
  await call(dave, 'joinRoom', room);
  await expect.poll(() => userIds(alice, room), { timeout: 20_000 }).toEqual(['alice', 'carol', 'dave']);
});

async function openStockClient(browser: Browser, room: string, password: string): Promise<Page> {
  const page = await (await browser.newContext()).newPage();
  await page.goto('/');
  await page.addScriptTag({ content: await bundleFixture('stock-ywebrtc') });
  const relayUrl = new URL('/relay', page.url()).href.replace(/^http/, 'ws');
  await page.evaluate(([r, url, pw]) => window.startStockClient(r, url, pw), [room, relayUrl, password] as const);
  return page;
}

test('[R-41] a wrong password learns nothing: no member, message, attribute or stream', async ({ browser }) => {
  const room = uniqueRoom('sec-pw');
  const password = 'correct horse battery';
  const alice = await openMediaMember(browser, 'alice');
  const bob = await openMediaMember(browser, 'bob');
  expect(await call(alice, 'createRoom', { roomId: room }, { password, attributes: { topic: 'quarterly numbers' } })).toMatchObject({ state: 'connected' });
  await call(bob, 'joinRoom', room, { password });
  await call(alice, 'sendMessage', room, 'the secret plan');
  await call(alice, 'setMemberAttributes', room, { hand: 'raised' });
  await publishCamera(alice, room, 'camera');
  await play(bob, room, 'camera');
  await expectVideoPlaying(bob, room, 'camera');
  // There is something to learn: Bob, with the password, has it all.
  const bobSees = () => bob.evaluate((id) => {
    const seen = window.client!.room(id)!;
    return { chat: seen.messages.map((m) => m.text), hand: seen.members.find((m) => m.userId === 'alice')?.attributes.hand ?? null, topic: seen.attributes.topic ?? null };
  }, room);
  await expect.poll(bobSees, { timeout: 20_000 }).toEqual({ chat: ['the secret plan'], hand: 'raised', topic: 'quarterly numbers' });

  // Our client with a wrong password: refused at once by the relay's verifier, nothing seen.
  const eve = await openMediaMember(browser, 'eve');
  expect(await call(eve, 'joinRoom', room, { password: 'wrong guess' })).toEqual({ error: 'WRONG_PASSWORD' });
  // A client that skips the verifier (stock y-webrtc does not ask the relay) still sees nothing:
  // it cannot read the room's signaling, so it never connects to a member.
  const mallory = await openStockClient(browser, room, 'wrong guess');
  // On the relay, subscribed to the room's topic, before the room goes on.
  await expect.poll(() => mallory.evaluate(() => window.stock!.provider.signalingConns.every((conn) => conn.connected === true)), { timeout: 10_000 }).toBe(true);
  // Meanwhile the room goes on (so there is signaling to see): more chat, a new attribute.
  await call(bob, 'sendMessage', room, 'second secret');
  await call(alice, 'setRoomAttributes', room, { agenda: 'layoffs' });
  await expect.poll(() => bob.evaluate((id) => window.client!.room(id)!.attributes.agenda ?? null, room), { timeout: 20_000 }).toBe('layoffs');
  await mallory.waitForTimeout(3000);

  const eveSaw = await eve.evaluate((id) => ({
    room: window.client!.room(id) ?? null,
    events: window.events.filter((e) => e.event !== 'stateChanged').length,
  }), room);
  expect(eveSaw).toEqual({ room: null, events: 0 });
  const mallorySaw = await mallory.evaluate(() => {
    const stock = window.stock!;
    return {
      peers: stock.provider.room?.webrtcConns.size ?? 0,
      awareness: [...stock.provider.awareness.getStates().keys()].filter((id) => id !== stock.doc.clientID).length,
      // Clients whose document edits reached it: none (its own doc is untouched too).
      writers: stock.doc.store.clients.size,
      messages: stock.doc.getArray('messages').length,
      attributes: stock.doc.getMap('attributes').size,
    };
  });
  expect(mallorySaw).toEqual({ peers: 0, awareness: 0, writers: 0, messages: 0, attributes: 0 });
  // And the members never saw either of them.
  for (const page of [alice, bob]) expect(await userIds(page, room)).toEqual(['alice', 'bob']);
});

/** A test-only client of the relay subscribed to a room's topics: what the relay forwards, verbatim. */
async function tapRelay(relayUrl: string, topics: string[]): Promise<{ frames: string[]; close(): void }> {
  const ws = new WebSocket(relayUrl);
  const frames: string[] = [];
  ws.on('message', (data) => frames.push(String(data)));
  await new Promise<void>((resolve, reject) => {
    ws.once('open', () => resolve());
    ws.once('error', reject);
  });
  ws.send(JSON.stringify({ type: 'subscribe', topics }));
  return { frames, close: () => ws.terminate() };
}

test('[R-41][R-71] entering announces behind the relay\'s check: a wrong password\'s announce reaches nobody, an admitted member\'s reaches the room', async ({ browser, baseURL }) => {
  // enterRoom sends the relay's check (room-enter) and y-webrtc's announce together, on
  // y-webrtc's socket (signaling-enter.ts); the relay's order is what keeps a refused member's
  // announce from the room. A tap in the room sees what the room hears.
  const room = uniqueRoom('sec-enter');
  const relayUrl = `${baseURL!.replace(/^http/, 'ws')}/relay`;
  const alice = await openMember(browser, 'alice');
  const eve = await openMember(browser, 'eve');
  const bob = await openMember(browser, 'bob');
  expect(await call(alice, 'enterRoom', { roomId: room })).toMatchObject({ state: 'connected' });
  const tap = await tapRelay(relayUrl, [room]);

  expect(await call(eve, 'enterRoom', { roomId: room }, { password: 'not this room' })).toEqual({ error: 'WRONG_PASSWORD' });
  expect(await call(bob, 'enterRoom', { roomId: room })).toMatchObject({ state: 'connected' });
  await expect.poll(() => userIds(alice, room), { timeout: 20_000 }).toEqual(['alice', 'bob']);
  tap.close();

  const heard = tap.frames.map((text) => JSON.parse(text) as { type: string; topic?: string; data?: unknown }).filter((f) => f.type === 'publish');
  // Eve's announce would be sealed with her key: a string. Bob's is plain, and came.
  expect(heard.filter((f) => typeof f.data === 'string')).toEqual([]);
  expect(heard.some((f) => (f.data as { type?: string }).type === 'announce')).toBe(true);
  expect(await eve.evaluate((id) => window.client!.room(id) ?? null, room)).toBeNull();
  expect(await userIds(alice, room)).toEqual(['alice', 'bob']);
});

test('[R-41] what the relay forwards for a password room is ciphertext and room ids only', async ({ browser, baseURL }) => {
  const room = uniqueRoom('sec-tap');
  const password = 'correct horse battery';
  const relayUrl = `${baseURL!.replace(/^http/, 'ws')}/relay`;
  // Distinctive plaintexts: names, chat, attributes; and the SDP the media connection needs.
  const alice = await openMediaMember(browser, 'zorblax');
  const bob = await openMediaMember(browser, 'quintessa');
  expect(await call(alice, 'createRoom', { roomId: room }, { password, attributes: { topic: 'plaintext-topic-value' } })).toMatchObject({ state: 'connected' });
  // The tap subscribes once the room exists (subscribed first, it would be the room's creator);
  // from here on it gets every frame the relay forwards in the room: bob's whole arrival.
  const tap = await tapRelay(relayUrl, [room, `media/${room}`]);
  await call(bob, 'joinRoom', room, { password });
  await expect.poll(() => userIds(bob, room), { timeout: 20_000 }).toEqual(['quintessa', 'zorblax']);
  await call(alice, 'sendMessage', room, 'plaintext-chat-line');
  await call(bob, 'setMemberAttributes', room, { mood: 'plaintext-member-value' });
  // One stream goes on the line of the data connection (whose SDP went through y-webrtc's
  // sealed signaling); the second played at once gets a connection of its own, signaled on the
  // room's media topic (media-lines.ts, room-media.ts).
  for (const id of ['camera', 'camera2']) await publishCamera(alice, room, id, { width: 320, height: 240 });
  await expect.poll(() => bob.evaluate((id) => window.client!.room(id)!.streams.length, room), { timeout: 20_000 }).toBe(2);
  for (const id of ['camera', 'camera2']) await play(bob, room, id);
  // The SDP has crossed the relay once the play request, the offer and the answer have: wait
  // for those, not for the picture (which on a loaded machine can take long after).
  const mediaSignals = () => tap.frames.filter((text) => text.includes(`"topic":"media/${room}"`)).length;
  await expect.poll(mediaSignals, { timeout: 30_000 }).toBeGreaterThanOrEqual(3);
  await expect.poll(() => alice.evaluate((id) => window.client!.room(id)!.members.find((m) => m.userId === 'quintessa')?.attributes.mood ?? null, room), { timeout: 20_000 }).toBe('plaintext-member-value');
  tap.close();

  const publishes = tap.frames.map((text) => JSON.parse(text) as { type: string; topic?: string; data?: unknown });
  const roomFrames = publishes.filter((f) => f.type === 'publish' && f.topic === room);
  const mediaFrames = publishes.filter((f) => f.type === 'publish' && f.topic === `media/${room}`);
  console.log(`relay tap: ${tap.frames.length} frames (${roomFrames.length} on the room topic, ${mediaFrames.length} on its media topic)`);
  // There was signaling to capture on both topics (WebRTC offers/answers for the room, the
  // media connection's for the stream)...
  expect(roomFrames.length).toBeGreaterThan(0);
  expect(mediaFrames.length).toBeGreaterThan(0);
  // ...and all of it is opaque: y-webrtc's data a base64 ciphertext string, ours `{ v, e }`.
  for (const frame of roomFrames) expect(typeof frame.data, JSON.stringify(frame).slice(0, 200)).toBe('string');
  for (const frame of mediaFrames) {
    expect(Object.keys(frame.data as object).sort()).toEqual(['e', 'v']);
    expect(typeof (frame.data as { e: unknown }).e).toBe('string');
  }
  const everything = tap.frames.join('\n');
  // Only strings that cannot occur by chance in base64 (long ones, or with '=', ':' or '"').
  const plaintexts = ['zorblax', 'quintessa', 'plaintext-chat-line', 'plaintext-topic-value', 'plaintext-member-value', '"camera"', 'v=0', 'a=candidate', '"sdp"', '"offer"', '"answer"', '"candidate"', 'm=video'];
  for (const plaintext of plaintexts) {
    expect(everything, `"${plaintext}" crossed the relay in clear`).not.toContain(plaintext);
  }
  // Room ids are what the relay routes by: the one thing it must see.
  expect(everything).toContain(room);
});
