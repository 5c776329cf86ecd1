import { describe, expect, it } from 'vitest';
import { delay, uniqueTopic, until, useRelayHarness, type TestClient } from './helpers.js';
import { MAX_DESTROY_DELAY_SECONDS } from '../../signaling/options.js';

const harness = useRelayHarness();

let requestCounter = 0;
const nextId = () => `req-${++requestCounter}`;

function enter(client: TestClient, room: string, mode?: 'create' | 'join' | 'any', destroyDelay?: number) {
  return client.request({ type: 'room-enter', id: nextId(), room, mode, destroyDelay });
}

async function query(client: TestClient, ...rooms: string[]) {
  const reply = await client.request({ type: 'room-query', id: nextId(), rooms });
  return reply.rooms as { room: string; exists: boolean; members: number; destroyDelay: number }[];
}

describe('room presence extension [R-71]', () => {
  it('[R-71] every connection hears hello first, naming the extension, before anything it asks is answered', async () => {
    const relay = await harness.relay();
    const a = await harness.client(relay.url);
    await a.sync();
    expect(a.frames).toEqual([{ type: 'hello', extensions: ['presence'] }, { type: 'pong' }]);
  });

  it('[R-71] room-enter with the announce right behind it: the room hears an admitted member\'s announce after its answer, a refused member\'s never', async () => {
    const relay = await harness.relay();
    const room = uniqueTopic();
    const [host, stranger, guest] = await Promise.all([harness.client(relay.url), harness.client(relay.url), harness.client(relay.url)]);
    await host.request({ type: 'room-enter', id: nextId(), room, keyCheck: 'aaaa' });
    const announce = (from: string) => ({ type: 'publish', topic: room, data: { type: 'announce', from } });

    // Both send the request and the announce in one go, as the room client does.
    for (const [client, keyCheck, from] of [[stranger, 'bbbb', 'stranger'], [guest, 'aaaa', 'guest']] as const) {
      client.send({ type: 'room-enter', id: `enter-${from}`, room, mode: 'any', keyCheck });
      client.send(announce(from));
    }
    await Promise.all([stranger.sync(), guest.sync()]);

    expect(stranger.frames.map((f) => f.code ?? f.type)).toEqual(['hello', 'WRONG_PASSWORD', 'not-subscribed', 'pong']);
    expect(guest.frames.map((f) => f.type)).toEqual(['hello', 'room-entered', 'publish', 'pong']);
    await host.sync();
    expect(host.all('publish').map((f) => (f.data as { from: string }).from)).toEqual(['guest']);
  });
  it('[R-71] room-query reports existence, members and destroyDelay, echoing the request id', async () => {
    const relay = await harness.relay();
    const [room, empty] = [uniqueTopic(), uniqueTopic()];
    const [a, b, asker] = await Promise.all([harness.client(relay.url), harness.client(relay.url), harness.client(relay.url)]);
    await enter(a, room, 'create', 60);
    b.send({ type: 'subscribe', topics: [room] }); // a stock y-webrtc client counts as a member too
    await b.sync();

    const reply = await asker.request({ type: 'room-query', id: 42, rooms: [room, empty] });
    expect(reply).toEqual({
      type: 'room-info',
      id: 42,
      rooms: [
        { room, exists: true, members: 2, destroyDelay: 60 },
        { room: empty, exists: false, members: 0, destroyDelay: 0 },
      ],
    });
    // The asker did not join anything by asking.
    expect((await query(asker, room))[0].members).toBe(2);
  });

  it('[R-71] room-query for a room that only plain subscribe created shows destroyDelay 0', async () => {
    const relay = await harness.relay();
    const room = uniqueTopic();
    const a = await harness.client(relay.url);
    a.send({ type: 'subscribe', topics: [room] });
    expect(await query(a, room)).toEqual([{ room, exists: true, members: 1, destroyDelay: 0 }]);
  });

  it('[R-10] room-enter "any" creates a missing room, then joins it', async () => {
    const relay = await harness.relay();
    const room = uniqueTopic();
    const [a, b] = await Promise.all([harness.client(relay.url), harness.client(relay.url)]);
    const id = nextId();
    expect(await a.request({ type: 'room-enter', id, room })).toEqual({
      type: 'room-entered',
      id,
      room,
      created: true,
      members: 1,
      destroyDelay: 0,
      incarnation: expect.stringMatching(/^[A-Za-z0-9_-]{16}$/),
    });
    expect(await enter(b, room, 'any')).toMatchObject({ type: 'room-entered', created: false, members: 2 });
  });

  it('[R-3] a room keeps one incarnation while it exists; created again, it is another room', async () => {
    const relay = await harness.relay();
    const room = uniqueTopic();
    const [a, b, c] = await Promise.all([harness.client(relay.url), harness.client(relay.url), harness.client(relay.url)]);
    const first = await a.request({ type: 'room-enter', id: nextId(), room });
    // A joiner's proposal does not change an existing room.
    const joined = await b.request({ type: 'room-enter', id: nextId(), room, incarnation: 'someone-elses' });
    expect(joined).toMatchObject({ created: false, incarnation: first.incarnation });
    a.send({ type: 'unsubscribe', topics: [room] });
    b.send({ type: 'unsubscribe', topics: [room] });
    await expect.poll(async () => (await query(c, room))[0].exists).toBe(false);
    const again = await c.request({ type: 'room-enter', id: nextId(), room });
    expect(again).toMatchObject({ created: true });
    expect(again.incarnation).not.toBe(first.incarnation);
    // Whoever creates a room may give it the incarnation it had (a reload, a relay restart).
    c.send({ type: 'unsubscribe', topics: [room] });
    await expect.poll(async () => (await query(a, room))[0].exists).toBe(false);
    expect(await a.request({ type: 'room-enter', id: nextId(), room, incarnation: first.incarnation })).toMatchObject({ created: true, incarnation: first.incarnation });
  });

  it('[R-71] entering a room subscribes to its topic: publishes flow to the member', async () => {
    const relay = await harness.relay();
    const room = uniqueTopic();
    const [a, b] = await Promise.all([harness.client(relay.url), harness.client(relay.url)]);
    await enter(a, room, 'create');
    await enter(b, room, 'join');
    b.send({ type: 'publish', topic: room, data: 'hi' });
    expect(await a.next('publish')).toMatchObject({ data: 'hi', clients: 2 });
  });

  it('[R-11] room-enter "create" fails with ROOM_ALREADY_EXISTS when the room exists', async () => {
    const relay = await harness.relay();
    const room = uniqueTopic();
    const [a, b] = await Promise.all([harness.client(relay.url), harness.client(relay.url)]);
    expect(await enter(a, room, 'create')).toMatchObject({ type: 'room-entered', created: true, members: 1 });
    const id = nextId();
    expect(await b.request({ type: 'room-enter', id, room, mode: 'create' })).toEqual({
      type: 'room-error',
      id,
      room,
      code: 'ROOM_ALREADY_EXISTS',
      message: expect.stringContaining(room),
    });
    // On failure nothing changes: b is not a member.
    expect((await query(b, room))[0].members).toBe(1);
  });

  it('[R-12] room-enter "join" fails with ROOM_NOT_FOUND for a missing room and creates nothing', async () => {
    const relay = await harness.relay();
    const room = uniqueTopic();
    const a = await harness.client(relay.url);
    expect(await enter(a, room, 'join')).toMatchObject({ type: 'room-error', room, code: 'ROOM_NOT_FOUND' });
    expect(await query(a, room)).toEqual([{ room, exists: false, members: 0, destroyDelay: 0 }]);
    expect(relay.relay.stats().topics).toBe(0);
  });

  it('[R-12] room-enter "join" succeeds for an existing room with created: false', async () => {
    const relay = await harness.relay();
    const room = uniqueTopic();
    const [a, b] = await Promise.all([harness.client(relay.url), harness.client(relay.url)]);
    await enter(a, room, 'create', 30);
    expect(await enter(b, room, 'join', 5)).toMatchObject({ type: 'room-entered', created: false, members: 2, destroyDelay: 30 });
  });

  it('[R-11] two clients racing "create" for the same room: exactly one wins', async () => {
    const relay = await harness.relay();
    for (let round = 0; round < 5; round++) {
      const room = uniqueTopic('race');
      const [a, b] = await Promise.all([harness.client(relay.url), harness.client(relay.url)]);
      const replies = await Promise.all([enter(a, room, 'create'), enter(b, room, 'create')]);
      expect(replies.map((r) => r.type).sort()).toEqual(['room-entered', 'room-error']);
      expect(replies.find((r) => r.type === 'room-error')).toMatchObject({ code: 'ROOM_ALREADY_EXISTS' });
      expect(replies.find((r) => r.type === 'room-entered')).toMatchObject({ created: true, members: 1 });
      expect((await query(a, room))[0].members).toBe(1);
    }
  });

  it('[R-3] an empty room with a destroyDelay still exists, then disappears after the delay', async () => {
    const relay = await harness.relay();
    const room = uniqueTopic();
    const [a, asker] = await Promise.all([harness.client(relay.url), harness.client(relay.url)]);
    await enter(a, room, 'create', 1);
    const leftAt = Date.now();
    a.send({ type: 'unsubscribe', topics: [room] });
    await a.sync();
    expect(await query(asker, room)).toEqual([{ room, exists: true, members: 0, destroyDelay: 1 }]);
    expect(relay.relay.stats()).toMatchObject({ topics: 1, lingeringRooms: 1 });

    await until(async () => !(await query(asker, room))[0].exists, { timeoutMs: 5000, intervalMs: 100, what: 'the room to be destroyed' });
    // Not before its delay (some slack for the clock granularity).
    expect(Date.now() - leftAt).toBeGreaterThanOrEqual(950);
    expect(relay.relay.stats()).toMatchObject({ topics: 0, lingeringRooms: 0 });
    // Gone means gone: "join" now fails.
    expect(await enter(asker, room, 'join')).toMatchObject({ type: 'room-error', code: 'ROOM_NOT_FOUND' });
  });

  it('[R-3] the delay also runs when the last member disconnects instead of unsubscribing', async () => {
    const relay = await harness.relay();
    const room = uniqueTopic();
    const [a, asker] = await Promise.all([harness.client(relay.url), harness.client(relay.url)]);
    await enter(a, room, 'create', 1);
    a.ws.terminate();
    await until(() => relay.relay.stats().connections === 1, { what: 'the disconnect to be seen' });
    expect(await query(asker, room)).toEqual([{ room, exists: true, members: 0, destroyDelay: 1 }]);
    await until(async () => !(await query(asker, room))[0].exists, { intervalMs: 100, what: 'the room to be destroyed' });
  });

  it('[R-3] rejoining within the delay keeps the room (and its destroyDelay) past the original deadline', async () => {
    const relay = await harness.relay();
    const room = uniqueTopic();
    const [a, b] = await Promise.all([harness.client(relay.url), harness.client(relay.url)]);
    await enter(a, room, 'create', 1);
    a.send({ type: 'unsubscribe', topics: [room] });
    await a.sync();
    expect(await enter(b, room, 'join')).toMatchObject({ type: 'room-entered', created: false, members: 1, destroyDelay: 1 });
    // Past the original deadline the room is still there because it has a member again.
    await delay(1500);
    expect(await query(a, room)).toEqual([{ room, exists: true, members: 1, destroyDelay: 1 }]);
    expect(relay.relay.stats().lingeringRooms).toBe(0);
  });

  it('[R-71] entering a room you are already in is idempotent', async () => {
    const relay = await harness.relay();
    const room = uniqueTopic();
    const a = await harness.client(relay.url);
    await enter(a, room, 'create');
    expect(await enter(a, room, 'any')).toMatchObject({ type: 'room-entered', created: false, members: 1 });
    expect(await enter(a, room, 'join')).toMatchObject({ type: 'room-entered', created: false, members: 1 });
  });

  it.each([
    ['over the maximum', MAX_DESTROY_DELAY_SECONDS + 1],
    ['negative', -1],
    ['not an integer', 0.5],
  ])('[R-3] a destroyDelay %s is refused as INVALID_REQUEST with the request id, and enters nothing', async (_label, destroyDelay) => {
    const relay = await harness.relay();
    const room = uniqueTopic();
    const a = await harness.client(relay.url);
    expect(await enter(a, room, 'create', destroyDelay)).toMatchObject({
      type: 'room-error',
      room,
      code: 'INVALID_REQUEST',
      message: expect.stringContaining('destroyDelay'),
    });
    expect(await query(a, room)).toEqual([{ room, exists: false, members: 0, destroyDelay: 0 }]);
  });

  it(`[R-3] the maximum destroyDelay (${MAX_DESTROY_DELAY_SECONDS} s) is accepted`, async () => {
    const relay = await harness.relay();
    const room = uniqueTopic();
    const a = await harness.client(relay.url);
    expect(await enter(a, room, 'create', MAX_DESTROY_DELAY_SECONDS)).toMatchObject({ destroyDelay: MAX_DESTROY_DELAY_SECONDS });
  });

  it('[R-72] an empty or over-long room name is INVALID_REQUEST', async () => {
    const relay = await harness.relay({ maxTopicLength: 8 });
    const a = await harness.client(relay.url);
    expect(await enter(a, '')).toMatchObject({ type: 'room-error', code: 'INVALID_REQUEST' });
    expect(await enter(a, 'x'.repeat(9))).toMatchObject({ type: 'room-error', code: 'INVALID_REQUEST' });
    expect(await enter(a, 'x'.repeat(8))).toMatchObject({ type: 'room-entered' });
  });

  it('[R-72] room-enter beyond maxTopicsPerConnection is TOO_MANY_TOPICS', async () => {
    const relay = await harness.relay({ maxTopicsPerConnection: 2 });
    const a = await harness.client(relay.url);
    await enter(a, uniqueTopic());
    await enter(a, uniqueTopic());
    expect(await enter(a, uniqueTopic())).toMatchObject({ type: 'room-error', code: 'TOO_MANY_TOPICS' });
  });

  it('[R-3] maxDelayedRooms counts rooms from creation, so an accepted destroyDelay is always honoured', async () => {
    const relay = await harness.relay({ maxDelayedRooms: 1 });
    const [first, second] = [uniqueTopic(), uniqueTopic()];
    const a = await harness.client(relay.url);
    const asker = await harness.client(relay.url);
    await enter(a, first, 'create', 60);
    // The first room still has its member, yet the cap is taken.
    expect(await enter(asker, second, 'create', 60)).toMatchObject({ type: 'room-error', code: 'TOO_MANY_ROOMS' });
    a.send({ type: 'unsubscribe', topics: [first] });
    await a.sync();
    expect(await query(asker, first)).toEqual([{ room: first, exists: true, members: 0, destroyDelay: 60 }]);
  });

  it('[R-3] with maxDelayedRooms reached, creating another room with a destroyDelay is TOO_MANY_ROOMS', async () => {
    const relay = await harness.relay({ maxDelayedRooms: 1 });
    const [first, second] = [uniqueTopic(), uniqueTopic()];
    const a = await harness.client(relay.url);
    await enter(a, first, 'create', 60);
    a.send({ type: 'unsubscribe', topics: [first] });
    await a.sync();
    expect(relay.relay.stats().lingeringRooms).toBe(1);
    expect(await enter(a, second, 'create', 60)).toMatchObject({ type: 'room-error', code: 'TOO_MANY_ROOMS' });
    // Without a delay it is fine, and so is rejoining the lingering room.
    expect(await enter(a, second, 'create', 0)).toMatchObject({ type: 'room-entered', created: true });
    expect(await enter(a, first, 'join')).toMatchObject({ type: 'room-entered', created: false, destroyDelay: 60 });
  });

  it('[R-41] a room created with a password verifier refuses a different one with WRONG_PASSWORD and subscribes nothing', async () => {
    const relay = await harness.relay();
    const room = uniqueTopic();
    const alice = await harness.client(relay.url);
    const bob = await harness.client(relay.url);
    expect(await alice.request({ type: 'room-enter', id: nextId(), room, mode: 'create', keyCheck: 'aaaa' })).toMatchObject({ type: 'room-entered', created: true });
    expect(await bob.request({ type: 'room-enter', id: nextId(), room, mode: 'join', keyCheck: 'bbbb' })).toMatchObject({ type: 'room-error', code: 'WRONG_PASSWORD' });
    // No password at all is a mismatch too: such a client could not read the room either.
    expect(await bob.request({ type: 'room-enter', id: nextId(), room, mode: 'any', keyCheck: '' })).toMatchObject({ type: 'room-error', code: 'WRONG_PASSWORD' });
    expect(await query(bob, room)).toEqual([{ room, exists: true, members: 1, destroyDelay: 0 }]);
    expect(await bob.request({ type: 'room-enter', id: nextId(), room, mode: 'join', keyCheck: 'aaaa' })).toMatchObject({ type: 'room-entered', members: 2 });
  });

  it('[R-41][R-70] a room made by a plain subscribe has no verifier, so any key check may enter', async () => {
    const relay = await harness.relay();
    const room = uniqueTopic();
    const stock = await harness.client(relay.url);
    stock.send({ type: 'subscribe', topics: [room] });
    await stock.sync();
    const ours = await harness.client(relay.url);
    expect(await ours.request({ type: 'room-enter', id: nextId(), room, mode: 'join', keyCheck: 'anything' })).toMatchObject({ type: 'room-entered' });
  });
});
