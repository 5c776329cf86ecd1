/**
 * RoomClient's room lifecycle –[R-16] on the in-memory network, against a stock y-webrtc
 * relay (pong only) and against ours (presence extension): what succeeds, what fails with
 * which code, and that a failure changes nothing.
 */
import { beforeEach, describe, expect, it, vi } from 'vitest';
import { ErrorCode } from '../../src/lib/rooms/errors.js';
import { ROOM_ATTRIBUTE_LIMITS } from '../../src/lib/rooms/schema.js';
import { createRoomClient } from '../../src/lib/rooms/client.js';
import { presenceRelay, stockRelay, type FakeRelay } from './support/fake-relay.js';
import { useTabs } from './support/tabs.js';
import { rejectionCode } from './support/error-code.js';

let relay: FakeRelay;

const world = useTabs();

beforeEach(() => {
  relay = presenceRelay(world.network);
});


describe('entering against a stock y-webrtc relay [R-10]', () => {
  it('[R-10] enterRoom works; createRoom and joinRoom say they cannot check, and leave nothing behind', async () => {
    const stock = stockRelay();
    const alice = world.tabs.open('alice', { relay: stock });
    const bob = world.tabs.open('bob', { relay: stock });
    await alice.client.enterRoom({ roomId: 'lobby' });

    expect(await rejectionCode(bob.client.createRoom({ roomId: 'lobby' }))).toBe(ErrorCode.PRESENCE_UNSUPPORTED);
    expect(await rejectionCode(bob.client.joinRoom('lobby'))).toBe(ErrorCode.PRESENCE_UNSUPPORTED);
    expect(bob.client.roomIds).toEqual([]);
    expect(alice.members('lobby')).toEqual(['alice']);

    await bob.client.enterRoom({ roomId: 'lobby' });
    expect(alice.members('lobby')).toEqual(['alice', 'bob']);
  });
});

describe('create and join with the presence extension [R-11][R-12]', () => {
  it('[R-11] createRoom of a room that exists: ROOM_ALREADY_EXISTS, and the creator is not disturbed', async () => {
    const alice = world.tabs.open('alice', { relay });
    const bob = world.tabs.open('bob', { relay });
    await alice.client.createRoom({ roomId: 'r' });

    expect(await rejectionCode(bob.client.createRoom({ roomId: 'r' }))).toBe(ErrorCode.ROOM_ALREADY_EXISTS);
    expect(bob.client.roomIds).toEqual([]);
    expect(bob.states('r')).toEqual(['connecting(entering)', `disconnected(${ErrorCode.ROOM_ALREADY_EXISTS})`]);
    expect(alice.members('r')).toEqual(['alice']);
    expect(alice.joined('r')).toEqual(['alice']);
  });

  it('[R-12] joinRoom of a missing room: ROOM_NOT_FOUND; of an existing one, it joins', async () => {
    const alice = world.tabs.open('alice', { relay });
    const bob = world.tabs.open('bob', { relay });

    expect(await rejectionCode(bob.client.joinRoom('r'))).toBe(ErrorCode.ROOM_NOT_FOUND);
    expect(bob.client.roomIds).toEqual([]);

    await alice.client.createRoom({ roomId: 'r' });
    const snapshot = await bob.client.joinRoom('r');
    expect(snapshot.state).toBe('connected');
    expect(snapshot.members.map((m) => m.userId).sort()).toEqual(['alice', 'bob']);
  });

  it('[R-11] two tabs creating the same room at once: exactly one wins', async () => {
    const alice = world.tabs.open('alice', { relay });
    const bob = world.tabs.open('bob', { relay });

    const results = await Promise.all([rejectionCode(alice.client.createRoom({ roomId: 'r' })), rejectionCode(bob.client.createRoom({ roomId: 'r' }))]);

    expect(results.sort()).toEqual([ErrorCode.ROOM_ALREADY_EXISTS, undefined].sort());
  });

  it('[R-10][R-4] enterRoom: the room reaches the relay only after the relay let the member in, so whoever enters an empty room is its host', async () => {
    // enterRoom starts the provider alongside the presence request (subscription-hold.ts); a
    // subscription arriving first would make the room exist, and its creator a plain member.
    const alice = world.tabs.open('alice', { relay });
    const bob = world.tabs.open('bob', { relay });
    const carol = world.tabs.open('carol', { relay });

    await alice.client.enterRoom({ roomId: 'solo' });
    expect(alice.client.room('solo')?.members.map((m) => `${m.userId}:${m.role}`)).toEqual(['alice:host']);

    // Two at once into another empty room: exactly one creates it.
    await Promise.all([bob.client.enterRoom({ roomId: 'pair' }), carol.client.enterRoom({ roomId: 'pair' })]);
    const roles = bob.client.room('pair')!.members.map((m) => m.role).sort();
    expect(roles).toEqual(['host', 'interactor']);
    expect(carol.members('pair')).toEqual(['bob', 'carol']);
  });

  it('[R-2][R-21] the creator names the room and gives it its first attributes; whoever enters later changes neither', async () => {
    const alice = world.tabs.open('alice', { relay });
    const bob = world.tabs.open('bob', { relay });
    const created = await alice.client.createRoom({ roomId: 'r', roomName: 'Maths, 3rd period' }, { attributes: { topic: 'fractions', lang: 'en' } });
    expect(created).toMatchObject({ roomName: 'Maths, 3rd period', attributes: { topic: 'fractions', lang: 'en' } });

    await bob.client.enterRoom({ roomId: 'r', roomName: 'Something else' }, { attributes: { topic: 'overwritten?' } });
    for (const tab of [alice, bob]) expect(tab.client.room('r'), tab.name).toMatchObject({ roomName: 'Maths, 3rd period', attributes: { topic: 'fractions', lang: 'en' } });
    expect(bob.of('attributesChanged', 'r').flatMap(({ updated }) => Object.values(updated))).not.toContain('overwritten?');
  });

  it('[R-21] first attributes past the limits: ATTRIBUTE_LIMIT before any network work', async () => {
    const alice = world.tabs.open('alice', { relay });
    const tooMany = Object.fromEntries(Array.from({ length: ROOM_ATTRIBUTE_LIMITS.maxCount + 1 }, (_, i) => [`k${i}`, 'v']));
    for (const attributes of [tooMany, { topic: 7 }, { '': 'no key' }, 'not an object']) {
      const entering = alice.client.createRoom({ roomId: 'r' }, { attributes: attributes as unknown as Record<string, string> });
      expect(await rejectionCode(entering), JSON.stringify(attributes).slice(0, 40)).toBe(ErrorCode.ATTRIBUTE_LIMIT);
    }
    expect(relay.sockets).toHaveLength(0);
    expect(alice.client.roomIds).toEqual([]);
    expect(alice.events).toEqual([]);
  });

  it('[R-41] a wrong password: WRONG_PASSWORD, disconnected(wrong-password), and nothing of the room seen', async () => {
    vi.useRealTimers(); // the password check is real PBKDF2 work, not timers
    const alice = world.tabs.open('alice', { relay });
    const mallory = world.tabs.open('mallory', { relay });
    await alice.client.createRoom({ roomId: 'secret' }, { password: 'right' });
    await alice.client.sendMessage('secret', 'for members only');

    expect(await rejectionCode(mallory.client.enterRoom({ roomId: 'secret' }, { password: 'wrong' }))).toBe(ErrorCode.WRONG_PASSWORD);

    expect(mallory.states('secret').at(-1)).toBe('disconnected(wrong-password)');
    expect(mallory.of('message', 'secret')).toEqual([]);
    expect(mallory.joined('secret')).toEqual([]);
    expect(alice.members('secret')).toEqual(['alice']);
  });
});

describe('limits and validation [R-16][R-2]', () => {
  it('[R-16] five rooms at once by default; the sixth is ROOM_LIMIT_EXCEEDED and changes nothing', async () => {
    const alice = world.tabs.open('alice', { relay });
    for (let i = 1; i <= 5; i++) await alice.client.enterRoom({ roomId: `r${i}` });
    const eventsBefore = alice.events.length;

    expect(await rejectionCode(alice.client.enterRoom({ roomId: 'r6' }))).toBe(ErrorCode.ROOM_LIMIT_EXCEEDED);
    expect(alice.client.roomIds).toEqual(['r1', 'r2', 'r3', 'r4', 'r5']);
    expect(alice.events.length).toBe(eventsBefore);
    expect(world.network.membersOf('r6')).toBe(0);

    await alice.client.leaveRoom('r3');
    await alice.client.enterRoom({ roomId: 'r6' });
    expect(alice.client.roomIds).toContain('r6');
  });

  it('[R-16] the limit is configurable, and rooms being entered count against it', async () => {
    const alice = world.tabs.open('alice', { relay, maxRooms: 2 });
    const first = alice.client.enterRoom({ roomId: 'a' });
    const second = alice.client.enterRoom({ roomId: 'b' });

    expect(await rejectionCode(alice.client.enterRoom({ roomId: 'c' }))).toBe(ErrorCode.ROOM_LIMIT_EXCEEDED);
    await Promise.all([first, second]);
    expect(alice.client.roomIds).toEqual(['a', 'b']);
  });

  it('[R-16] maxRooms must be a positive integer', () => {
    const make = (maxRooms: number) => () => createRoomClient({ user: { userId: 'u', userName: 'u' }, signaling: 'ws://relay.test', maxRooms });
    expect(make(0)).toThrow(expect.objectContaining({ code: ErrorCode.INVALID_CONFIG }));
    expect(make(1.5)).toThrow(expect.objectContaining({ code: ErrorCode.INVALID_CONFIG }));
  });

  it('[R-2] an invalid room id fails before any network work', async () => {
    const alice = world.tabs.open('alice', { relay });

    expect(await rejectionCode(alice.client.enterRoom({ roomId: 'no spaces' }))).toBe(ErrorCode.INVALID_ROOM_ID);
    expect(await rejectionCode(alice.client.enterRoom({ roomId: 'x'.repeat(33) }))).toBe(ErrorCode.INVALID_ROOM_ID);
    expect(await rejectionCode(alice.client.enterRoom({ roomId: 'ok', roomName: 'n'.repeat(65) }))).toBe(ErrorCode.INVALID_ROOM_NAME);

    expect(relay.sockets).toHaveLength(0);
    expect(alice.endpoint.providers.size).toBe(0);
    expect(alice.events).toEqual([]);
  });

  it('[R-10] entering a room twice: ALREADY_IN_ROOM, also while the first enter is under way', async () => {
    const alice = world.tabs.open('alice', { relay });
    const entering = alice.client.enterRoom({ roomId: 'r' });

    expect(await rejectionCode(alice.client.enterRoom({ roomId: 'r' }))).toBe(ErrorCode.ALREADY_IN_ROOM);
    await entering;
    expect(await rejectionCode(alice.client.enterRoom({ roomId: 'r' }))).toBe(ErrorCode.ALREADY_IN_ROOM);
    expect(alice.states('r')).toEqual(['connecting(entering)', 'connected(entered)']);
  });
});

describe('several rooms, switch and leave [R-1][R-13][R-14][R-15]', () => {
  it('[R-1] one identity in every room the client is in', async () => {
    const alice = world.tabs.open('alice', { relay });
    const bob = world.tabs.open('bob', { relay });
    for (const roomId of ['one', 'two']) {
      await alice.client.enterRoom({ roomId });
      await bob.client.enterRoom({ roomId });
    }

    for (const roomId of ['one', 'two']) {
      const seen = bob.client.room(roomId)!.members.find((m) => !m.isLocal);
      expect(seen, roomId).toMatchObject({ userId: 'alice', userName: 'alice' });
    }
  });

  it('[R-13] switchRoom connects to the new room before leaving the old one', async () => {
    const alice = world.tabs.open('alice', { relay });
    const bob = world.tabs.open('bob', { relay });
    await alice.client.enterRoom({ roomId: 'old' });
    await bob.client.enterRoom({ roomId: 'old' });
    await bob.client.enterRoom({ roomId: 'new' });

    const snapshot = await alice.client.switchRoom('old', { roomId: 'new' });

    const transitions = alice.events.filter((e) => e.type === 'stateChanged').map((e) => `${e.roomId}:${e.state}(${e.reason})`);
    expect(transitions.slice(-3)).toEqual(['new:connecting(switching)', 'new:connected(entered)', 'old:disconnected(left)']);
    expect(snapshot.members.map((m) => m.userId).sort()).toEqual(['alice', 'bob']);
    expect(alice.client.roomIds).toEqual(['new']);
    expect(bob.left('old')).toEqual(['alice:left']);
    expect(bob.joined('new')).toEqual(['bob', 'alice']);
  });

  it('[R-13] a switch that fails leaves the client in the old room, untouched', async () => {
    const alice = world.tabs.open('alice', { relay });
    const bob = world.tabs.open('bob', { relay });
    await alice.client.enterRoom({ roomId: 'old' });
    await bob.client.enterRoom({ roomId: 'old' });

    expect(await rejectionCode(alice.client.switchRoom('old', { roomId: 'missing' }))).toBe(ErrorCode.ROOM_NOT_FOUND);

    expect(alice.states('missing')).toEqual(['connecting(switching)', 'disconnected(switch-failed)']);
    expect(alice.states('old')).toEqual(['connecting(entering)', 'connected(entered)']);
    expect(alice.client.roomIds).toEqual(['old']);
    expect(bob.left('old')).toEqual([]);
    await alice.client.sendMessage('old', 'still here');
    expect(bob.messageEvents('old')).toEqual(['still here']);
  });

  it('[R-13] switching to a missing room creates it when asked to', async () => {
    const alice = world.tabs.open('alice', { relay });
    await alice.client.enterRoom({ roomId: 'old' });

    await alice.client.switchRoom('old', { roomId: 'fresh' }, { createIfMissing: true });

    expect(alice.client.roomIds).toEqual(['fresh']);
    expect(alice.client.room('fresh')?.members[0]?.role).toBe('host');
  });

  it('[R-13] A -> B -> A: back in A, seen by the others there again', async () => {
    const alice = world.tabs.open('alice', { relay });
    const bob = world.tabs.open('bob', { relay });
    await alice.client.enterRoom({ roomId: 'a' });
    await bob.client.enterRoom({ roomId: 'a' });

    await alice.client.switchRoom('a', { roomId: 'b' }, { createIfMissing: true });
    await alice.client.switchRoom('b', { roomId: 'a' });

    expect(alice.client.roomIds).toEqual(['a']);
    expect(alice.members('a')).toEqual(['alice', 'bob']);
    expect(bob.members('a')).toEqual(['alice', 'bob']);
    expect(bob.left('a')).toEqual(['alice:left']);
    expect(bob.joined('a')).toEqual(['bob', 'alice', 'alice']);
  });

  it('[R-13] switching from a room the client is not in: NOT_IN_ROOM, and nothing is entered', async () => {
    const alice = world.tabs.open('alice', { relay });

    expect(await rejectionCode(alice.client.switchRoom('nowhere', { roomId: 'b' }, { createIfMissing: true }))).toBe(ErrorCode.NOT_IN_ROOM);
    expect(alice.client.roomIds).toEqual([]);
  });

  it('[R-14] leaving and entering the same room again right away works, and the others see both', async () => {
    const alice = world.tabs.open('alice', { relay });
    const bob = world.tabs.open('bob', { relay });
    await alice.client.enterRoom({ roomId: 'r' });
    await bob.client.enterRoom({ roomId: 'r' });

    await bob.client.leaveRoom('r');
    await bob.client.enterRoom({ roomId: 'r' });

    expect(alice.left('r')).toEqual(['bob:left']);
    expect(alice.joined('r')).toEqual(['alice', 'bob', 'bob']);
    expect(bob.client.room('r')?.state).toBe('connected');
  });

  it('[R-14] leaving one room leaves the others alone', async () => {
    const alice = world.tabs.open('alice', { relay });
    const bob = world.tabs.open('bob', { relay });
    for (const roomId of ['one', 'two']) {
      await alice.client.enterRoom({ roomId });
      await bob.client.enterRoom({ roomId });
    }

    await alice.client.leaveRoom('one');
    await alice.client.sendMessage('two', 'still in two');

    expect(bob.left('one')).toEqual(['alice:left']);
    expect(bob.left('two')).toEqual([]);
    expect(bob.messageEvents('two')).toEqual(['still in two']);
    expect(await rejectionCode(alice.client.leaveRoom('one'))).toBe(ErrorCode.NOT_IN_ROOM);
  });

  it('[R-15] leaveAllRooms leaves every room and says which', async () => {
    const alice = world.tabs.open('alice', { relay });
    const bob = world.tabs.open('bob', { relay });
    for (const roomId of ['one', 'two', 'three']) {
      await alice.client.enterRoom({ roomId });
      await bob.client.enterRoom({ roomId });
    }

    expect((await alice.client.leaveAllRooms()).sort()).toEqual(['one', 'three', 'two']);

    expect(alice.client.roomIds).toEqual([]);
    for (const roomId of ['one', 'two', 'three']) {
      expect(bob.left(roomId), roomId).toEqual(['alice:left']);
      expect(alice.states(roomId).at(-1), roomId).toBe('disconnected(left)');
    }
    expect(await alice.client.leaveAllRooms()).toEqual([]);
  });
});
