/** What RoomRegistry tells the Redis layer about a relay's rooms: snapshot() and adopt(). */
import { afterEach, describe, expect, it, vi } from 'vitest';
import { RoomRegistry } from '../../signaling/rooms.js';

afterEach(() => {
  vi.useRealTimers();
});

describe('RoomRegistry for several relays [R-73]', () => {
  it('[R-73] snapshot() lists occupied rooms with their members, and lingering rooms with the time they have left', () => {
    vi.useFakeTimers({ now: 1_000_000 });
    const rooms = new RoomRegistry<string>({ maxDelayedRooms: 10 });
    rooms.add('busy', 'a', 0, 'k', 'inc-busy');
    rooms.add('busy', 'b');
    rooms.add('waiting', 'c', 60, undefined, 'inc-waiting');
    rooms.remove('waiting', 'c');
    vi.advanceTimersByTime(15_000);
    expect([...rooms.snapshot()]).toEqual([
      { topic: 'busy', members: 2, destroyDelay: 0, keyCheck: 'k', incarnation: 'inc-busy', lingerMs: 0 },
      { topic: 'waiting', members: 0, destroyDelay: 60, keyCheck: undefined, incarnation: 'inc-waiting', lingerMs: 45_000 },
    ]);
    // Back in use, it is occupied again and has nothing left to wait out.
    rooms.add('waiting', 'd');
    expect([...rooms.snapshot()][1]).toMatchObject({ members: 1, lingerMs: 0 });
  });

  it('[R-73] adopt() takes on the destroyDelay, verifier and incarnation Redis knows, and keeps the delayed-room count right', () => {
    const rooms = new RoomRegistry<string>({ maxDelayedRooms: 1 });
    rooms.add('r', 'a'); // a plain subscribe here, to a room another relay made with a delay
    expect(rooms.canAddDelayedRoom()).toBe(true);
    rooms.adopt('r', 30, 'k', 'from-redis');
    expect(rooms.info('r')).toMatchObject({ destroyDelay: 30 });
    expect(rooms.keyCheck('r')).toBe('k');
    expect(rooms.incarnation('r')).toBe('from-redis');
    expect(rooms.canAddDelayedRoom()).toBe(false);
    rooms.adopt('r', 0, undefined, 'from-redis');
    expect(rooms.canAddDelayedRoom()).toBe(true);
    rooms.adopt('missing', 30, 'k', 'x');
    expect(rooms.exists('missing')).toBe(false);
  });

  it('[R-73] adopt() leaves a lingering room alone: its timer already counts on its delay', () => {
    vi.useFakeTimers();
    const rooms = new RoomRegistry<string>({ maxDelayedRooms: 10 });
    rooms.add('r', 'a', 5);
    rooms.remove('r', 'a');
    rooms.adopt('r', 0, undefined, 'x');
    expect(rooms.info('r')).toMatchObject({ exists: true, destroyDelay: 5 });
    vi.advanceTimersByTime(5000);
    expect(rooms.exists('r')).toBe(false);
    expect(rooms.lingeringCount).toBe(0);
  });
});
