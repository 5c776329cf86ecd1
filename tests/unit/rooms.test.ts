import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { RoomRegistry } from '../../signaling/rooms.js';

/** A hand-driven timer queue injected through RoomRegistryOptions.setTimer/clearTimer. */
class ManualTimers {
  readonly pending = new Map<number, { fn: () => void; ms: number }>();
  unrefCalls = 0;
  #nextId = 1;

  setTimer = (fn: () => void, ms: number) => {
    const id = this.#nextId++;
    this.pending.set(id, { fn, ms });
    return { id, unref: () => void this.unrefCalls++ };
  };

  clearTimer = (handle: unknown) => {
    this.pending.delete((handle as { id: number }).id);
  };

  /** Runs every pending timer (as if their delays had all elapsed). */
  fireAll(): void {
    const due = [...this.pending.values()];
    this.pending.clear();
    for (const timer of due) timer.fn();
  }
}

function registry(maxDelayedRooms = 10) {
  const timers = new ManualTimers();
  const rooms = new RoomRegistry<string>({ maxDelayedRooms, setTimer: timers.setTimer, clearTimer: timers.clearTimer });
  return { rooms, timers };
}

describe('RoomRegistry membership [R-70]', () => {
  it('[R-70] add creates the topic once; members are listed for the fan-out', () => {
    const { rooms } = registry();
    expect(rooms.add('t', 'a')).toEqual({ created: true });
    expect(rooms.add('t', 'b')).toEqual({ created: false });
    expect([...(rooms.members('t') ?? [])]).toEqual(['a', 'b']);
    expect(rooms.size).toBe(1);
    expect(rooms.info('t')).toEqual({ room: 't', exists: true, members: 2, destroyDelay: 0 });
  });

  it('[R-3] a room gets an incarnation when created (the proposed one, or a fresh one); it lasts as long as the room', () => {
    const { rooms } = registry();
    rooms.add('t', 'a');
    const first = rooms.incarnation('t');
    expect(first).toMatch(/^[A-Za-z0-9_-]{16}$/);
    rooms.add('t', 'b', 0, undefined, 'ignored: the room exists');
    expect(rooms.incarnation('t')).toBe(first);
    rooms.remove('t', 'a');
    rooms.remove('t', 'b');
    expect(rooms.incarnation('t')).toBeUndefined();
    // Created again under the same name: another room.
    rooms.add('t', 'c');
    expect(rooms.incarnation('t')).not.toBe(first);
    rooms.remove('t', 'c');
    rooms.add('t', 'd', 0, undefined, 'proposed');
    expect(rooms.incarnation('t')).toBe('proposed');
  });

  it('[R-70] adding the same member twice counts it once', () => {
    const { rooms } = registry();
    rooms.add('t', 'a');
    rooms.add('t', 'a');
    expect(rooms.info('t').members).toBe(1);
  });

  it('[R-72] an empty topic is deleted at once when it has no destroyDelay', () => {
    const { rooms, timers } = registry();
    rooms.add('t', 'a');
    rooms.add('t', 'b');
    rooms.remove('t', 'a');
    expect(rooms.exists('t')).toBe(true);
    rooms.remove('t', 'b');
    expect(rooms.exists('t')).toBe(false);
    expect(rooms.members('t')).toBeUndefined();
    expect(rooms.size).toBe(0);
    expect(timers.pending.size).toBe(0);
  });

  it('[R-72] removing a non-member or from an unknown topic changes nothing', () => {
    const { rooms } = registry();
    rooms.add('t', 'a');
    rooms.remove('t', 'stranger');
    rooms.remove('unknown', 'a');
    expect(rooms.info('t').members).toBe(1);
    expect(rooms.size).toBe(1);
  });

  it('[R-71] info of a room that does not exist', () => {
    const { rooms } = registry();
    expect(rooms.info('nope')).toEqual({ room: 'nope', exists: false, members: 0, destroyDelay: 0 });
  });
});

describe('RoomRegistry destroyDelay [R-3]', () => {
  it('[R-3] a room with a destroyDelay outlives its last member, then is deleted', () => {
    const { rooms, timers } = registry();
    rooms.add('r', 'a', 30);
    rooms.remove('r', 'a');
    expect(rooms.info('r')).toEqual({ room: 'r', exists: true, members: 0, destroyDelay: 30 });
    expect(rooms.members('r')).toBeUndefined();
    expect(rooms.lingeringCount).toBe(1);
    expect([...timers.pending.values()].map((t) => t.ms)).toEqual([30_000]);
    expect(timers.unrefCalls).toBe(1); // a lingering room must not keep the process alive
    timers.fireAll();
    expect(rooms.exists('r')).toBe(false);
    expect(rooms.lingeringCount).toBe(0);
    expect(rooms.size).toBe(0);
  });

  it('[R-3] the destroyDelay is set by the creator; later joiners do not change it', () => {
    const { rooms } = registry();
    rooms.add('r', 'a', 30);
    rooms.add('r', 'b', 5);
    rooms.add('r', 'c');
    expect(rooms.info('r').destroyDelay).toBe(30);
  });

  it('[R-3] rejoining during the delay cancels the timer and keeps the room', () => {
    const { rooms, timers } = registry();
    rooms.add('r', 'a', 30);
    rooms.remove('r', 'a');
    expect(rooms.add('r', 'b')).toEqual({ created: false });
    expect(timers.pending.size).toBe(0);
    expect(rooms.lingeringCount).toBe(0);
    expect(rooms.info('r')).toEqual({ room: 'r', exists: true, members: 1, destroyDelay: 30 });
    // Emptied again: a fresh full delay starts.
    rooms.remove('r', 'b');
    expect(rooms.lingeringCount).toBe(1);
    timers.fireAll();
    expect(rooms.exists('r')).toBe(false);
    expect(rooms.lingeringCount).toBe(0);
  });

  it('[R-3] maxDelayedRooms counts rooms with a destroyDelay from creation, occupied or not', () => {
    const { rooms, timers } = registry(2);
    rooms.add('plain', 'a');
    expect(rooms.canAddDelayedRoom()).toBe(true);
    rooms.add('r1', 'a', 60);
    rooms.add('r2', 'a', 60);
    // Both still have their member, and the cap is already reached.
    expect(rooms.canAddDelayedRoom()).toBe(false);
    rooms.remove('r1', 'a');
    rooms.remove('r2', 'a');
    // Every accepted delay is honoured.
    expect(rooms.exists('r1')).toBe(true);
    expect(rooms.exists('r2')).toBe(true);
    expect(rooms.lingeringCount).toBe(2);
    expect(timers.pending.size).toBe(2);
    expect(rooms.canAddDelayedRoom()).toBe(false);
    // A slot frees when a delayed room is finally destroyed.
    timers.fireAll();
    expect(rooms.exists('r1')).toBe(false);
    expect(rooms.canAddDelayedRoom()).toBe(true);
  });

  it('[R-3] maxDelayedRooms 0 allows no room with a destroyDelay', () => {
    const { rooms } = registry(0);
    expect(rooms.canAddDelayedRoom()).toBe(false);
  });

  it('[R-3] a stale timer does not delete a room that was recreated under the same name', () => {
    const { rooms, timers } = registry();
    rooms.add('r', 'a', 30);
    rooms.remove('r', 'a');
    const stale = [...timers.pending.values()][0];
    // Cleared (shutdown) and recreated; the old timer callback still runs (e.g. already queued).
    rooms.clear();
    rooms.add('r', 'b');
    stale.fn();
    expect(rooms.info('r')).toEqual({ room: 'r', exists: true, members: 1, destroyDelay: 0 });
    expect(rooms.lingeringCount).toBe(0);
  });

  it('[R-72] clear cancels every destroy timer and forgets every room', () => {
    const { rooms, timers } = registry();
    rooms.add('r1', 'a', 30);
    rooms.add('r2', 'a', 30);
    rooms.add('r3', 'a');
    rooms.remove('r1', 'a');
    rooms.remove('r2', 'a');
    expect(timers.pending.size).toBe(2);
    rooms.clear();
    expect(timers.pending.size).toBe(0);
    expect(rooms.size).toBe(0);
    expect(rooms.lingeringCount).toBe(0);
  });
});

describe('RoomRegistry with real timers (default setTimer) under vitest fake timers [R-3]', () => {
  beforeEach(() => {
    vi.useFakeTimers();
  });
  afterEach(() => {
    vi.useRealTimers();
  });

  it('[R-3] the room disappears exactly destroyDelay seconds after the last member leaves', () => {
    const rooms = new RoomRegistry<string>({ maxDelayedRooms: 10 });
    rooms.add('r', 'a', 2);
    rooms.remove('r', 'a');
    vi.advanceTimersByTime(1999);
    expect(rooms.exists('r')).toBe(true);
    vi.advanceTimersByTime(1);
    expect(rooms.exists('r')).toBe(false);
    expect(rooms.lingeringCount).toBe(0);
  });

  it('[R-3] rejoining within the delay keeps the room past the original deadline', () => {
    const rooms = new RoomRegistry<string>({ maxDelayedRooms: 10 });
    rooms.add('r', 'a', 2);
    rooms.remove('r', 'a');
    vi.advanceTimersByTime(1500);
    rooms.add('r', 'b');
    vi.advanceTimersByTime(10_000);
    expect(rooms.info('r')).toMatchObject({ exists: true, members: 1 });
    expect(vi.getTimerCount()).toBe(0);
  });
});
