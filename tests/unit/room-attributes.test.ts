/**
 * Room attributes and member attributes through RoomClient on the in-memory
 * network: what everyone sees, the events that say so, and the limits.
 */
import { describe, expect, it, vi } from 'vitest';
import { ErrorCode } from '../../src/lib/rooms/errors.js';
import { MEMBER_ATTRIBUTE_LIMITS, ROOM_ATTRIBUTE_LIMITS } from '../../src/lib/rooms/schema.js';
import { useTabs, type Tab } from './support/tabs.js';
import { rejectionCode } from './support/error-code.js';

const ROOM = 'attributes';


const world = useTabs();

function roomWith(...names: string[]): Promise<Tab[]> {
  return world.tabs.enterAll(ROOM, names);
}


function attributesOf(viewer: Tab, userId: string): Record<string, string> | undefined {
  return viewer.client.room(ROOM)?.members.find((m) => m.userId === userId)?.attributes;
}

describe('room attributes [R-21]', () => {
  it('[R-21] set and delete reach everyone, with attributesChanged saying what changed', async () => {
    const [alice, bob] = await roomWith('alice', 'bob');

    await alice.client.setRoomAttributes(ROOM, { topic: 'planning', lang: 'en' });
    await alice.client.deleteRoomAttributes(ROOM, ['lang']);

    expect(bob.client.room(ROOM)?.attributes).toEqual({ topic: 'planning' });
    expect(bob.of('attributesChanged', ROOM).map(({ updated, deleted }) => ({ updated, deleted }))).toEqual([
      { updated: { topic: 'planning', lang: 'en' }, deleted: [] },
      { updated: {}, deleted: ['lang'] },
    ]);
  });

  it('[R-21] a late joiner finds the attributes already set', async () => {
    const [alice] = await roomWith('alice');
    await alice.client.setRoomAttributes(ROOM, { topic: 'planning' });

    const [carol] = await roomWith('carol');

    expect(carol.client.room(ROOM)?.attributes).toEqual({ topic: 'planning' });
  });

  it('[R-21] the same key written at once by two members ends with one value everywhere', async () => {
    const [alice, bob] = await roomWith('alice', 'bob');
    world.network.setDelivery('manual');

    await alice.client.setRoomAttributes(ROOM, { topic: 'from alice' });
    await bob.client.setRoomAttributes(ROOM, { topic: 'from bob' });
    world.network.setDelivery('immediate');

    const topic = alice.client.room(ROOM)?.attributes.topic;
    expect(['from alice', 'from bob']).toContain(topic);
    expect(bob.client.room(ROOM)?.attributes.topic).toBe(topic);
  });

  it('[R-21] past the limits: ATTRIBUTE_LIMIT, and nothing is written', async () => {
    const [alice, bob] = await roomWith('alice', 'bob');
    await alice.client.setRoomAttributes(ROOM, { kept: 'yes' });
    const tooMany = Object.fromEntries(Array.from({ length: ROOM_ATTRIBUTE_LIMITS.maxCount }, (_, i) => [`k${i}`, 'v']));

    const attempts: Promise<unknown>[] = [
      alice.client.setRoomAttributes(ROOM, { ['k'.repeat(ROOM_ATTRIBUTE_LIMITS.maxKeyBytes + 1)]: 'v' }),
      alice.client.setRoomAttributes(ROOM, { big: 'v'.repeat(ROOM_ATTRIBUTE_LIMITS.maxValueBytes + 1) }),
      alice.client.setRoomAttributes(ROOM, { ok: 'fine', ...tooMany }),
      alice.client.setRoomAttributes(ROOM, { n: 42 as unknown as string }),
      alice.client.setRoomAttributes(ROOM, { '': 'empty key' }),
    ];
    for (const attempt of attempts) expect(await rejectionCode(attempt)).toBe(ErrorCode.ATTRIBUTE_LIMIT);

    expect(bob.client.room(ROOM)?.attributes).toEqual({ kept: 'yes' });
    expect(alice.client.room(ROOM)?.attributes).toEqual({ kept: 'yes' });
    expect(bob.of('attributesChanged', ROOM)).toHaveLength(1);
  });

  it('[R-21] exactly at the limits is fine: the largest key and value, the most keys', async () => {
    const [alice, bob] = await roomWith('alice', 'bob');
    const longestKey = 'k'.repeat(ROOM_ATTRIBUTE_LIMITS.maxKeyBytes);
    const largestValue = 'é'.repeat(ROOM_ATTRIBUTE_LIMITS.maxValueBytes / 2); // 2 bytes each in UTF-8
    const others = Object.fromEntries(Array.from({ length: ROOM_ATTRIBUTE_LIMITS.maxCount - 1 }, (_, i) => [`k${i}`, 'v']));

    await alice.client.setRoomAttributes(ROOM, { ...others, [longestKey]: largestValue });

    const seen = bob.client.room(ROOM)!.attributes;
    expect(Object.keys(seen)).toHaveLength(ROOM_ATTRIBUTE_LIMITS.maxCount);
    expect(seen[longestKey]).toBe(largestValue);
  });
});

describe('member attributes [R-22]', () => {
  it('[R-22] a member raises a hand: everyone gets memberUpdated and sees it; null lowers it', async () => {
    const [alice, bob] = await roomWith('alice', 'bob');

    await bob.client.setMemberAttributes(ROOM, { hand: 'raised', mic: 'on' });
    expect(attributesOf(alice, 'bob')).toEqual({ hand: 'raised', mic: 'on' });
    expect(alice.of('memberUpdated', ROOM).map((e) => [e.member.userId, e.member.attributes])).toEqual([['bob', { hand: 'raised', mic: 'on' }]]);

    await bob.client.setMemberAttributes(ROOM, { hand: null });
    expect(attributesOf(alice, 'bob')).toEqual({ mic: 'on' });
    expect(alice.of('memberUpdated', ROOM)).toHaveLength(2);
  });

  it('[R-22] a heartbeat is not an update: memberUpdated comes only when something a user sees changed', async () => {
    const [alice] = await roomWith('alice', 'bob');

    await vi.advanceTimersByTimeAsync(20_000);

    expect(alice.of('memberUpdated', ROOM)).toEqual([]);
  });

  it('[R-22] a newcomer sees the attributes members already have', async () => {
    const [, bob] = await roomWith('alice', 'bob');
    await bob.client.setMemberAttributes(ROOM, { camera: 'off' });

    const [carol] = await roomWith('carol');

    expect(attributesOf(carol, 'bob')).toEqual({ camera: 'off' });
  });

  it('[R-22] past the limits: ATTRIBUTE_LIMIT, and the others see no change', async () => {
    const [alice, bob] = await roomWith('alice', 'bob');
    await bob.client.setMemberAttributes(ROOM, { hand: 'raised' });
    const tooMany = Object.fromEntries(Array.from({ length: MEMBER_ATTRIBUTE_LIMITS.maxCount }, (_, i) => [`k${i}`, 'v']));

    const attempts: Promise<unknown>[] = [
      bob.client.setMemberAttributes(ROOM, { ['k'.repeat(MEMBER_ATTRIBUTE_LIMITS.maxKeyBytes + 1)]: 'v' }),
      bob.client.setMemberAttributes(ROOM, { note: 'v'.repeat(MEMBER_ATTRIBUTE_LIMITS.maxValueBytes + 1) }),
      bob.client.setMemberAttributes(ROOM, tooMany),
    ];
    for (const attempt of attempts) expect(await rejectionCode(attempt)).toBe(ErrorCode.ATTRIBUTE_LIMIT);

    expect(attributesOf(alice, 'bob')).toEqual({ hand: 'raised' });
    expect(alice.of('memberUpdated', ROOM)).toHaveLength(1);
  });

  it('[R-22] member attributes leave with the member: entering again starts with none', async () => {
    const [alice, bob] = await roomWith('alice', 'bob');
    await bob.client.setMemberAttributes(ROOM, { hand: 'raised' });

    await bob.client.leaveRoom(ROOM);
    await bob.client.enterRoom({ roomId: ROOM });

    expect(attributesOf(alice, 'bob')).toEqual({});
  });
});
