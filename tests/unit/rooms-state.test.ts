import { describe, expect, it } from 'vitest';
import { InvalidTransitionError, RoomStateMachine, isAllowedTransition, type StateChange } from '../../src/lib/rooms/room-state.js';
import { ErrorCode } from '../../src/lib/rooms/errors.js';

function machine() {
  const changes: StateChange[] = [];
  const logs: string[] = [];
  const m = new RoomStateMachine('room-1', (change) => changes.push(change), (line) => logs.push(line));
  return { m, changes, logs };
}

describe('room state machine [R-50]', () => {
  it('[R-50] enter: connecting(entering) -> connected(entered), one event per transition', () => {
    const { m, changes, logs } = machine();
    m.set('connecting', 'entering');
    m.set('connected', 'entered');
    expect(changes).toEqual([
      { state: 'connecting', reason: 'entering', previous: null },
      { state: 'connected', reason: 'entered', previous: 'connecting' },
    ]);
    expect(logs).toEqual(['room room-1: new -> connecting (entering)', 'room room-1: connecting -> connected (entered)']);
    expect(m.isLive).toBe(true);
  });

  it('[R-50] a failed enter ends in disconnected with the error code as reason', () => {
    for (const code of [ErrorCode.ROOM_NOT_FOUND, ErrorCode.ROOM_ALREADY_EXISTS, ErrorCode.RELAY_UNREACHABLE]) {
      const { m, changes } = machine();
      m.set('connecting', 'entering');
      m.set('disconnected', code);
      expect(changes.at(-1)).toEqual({ state: 'disconnected', reason: code, previous: 'connecting' });
      expect(m.isLive).toBe(false);
    }
  });

  it('[R-50][R-13] switch: the new room goes connecting(switching) -> connected(entered), or disconnected(switch-failed)', () => {
    const ok = machine();
    ok.m.set('connecting', 'switching');
    ok.m.set('connected', 'entered');
    const failed = machine();
    failed.m.set('connecting', 'switching');
    failed.m.set('disconnected', 'switch-failed');
    expect(failed.changes.map((c) => c.reason)).toEqual(['switching', 'switch-failed']);
  });

  it('[R-50] network loss: connected -> reconnecting(network-lost) -> connected(reconnected), or reconnect-failed', () => {
    const { m, changes } = machine();
    m.set('connecting', 'entering');
    m.set('connected', 'entered');
    m.set('reconnecting', 'network-lost');
    m.set('connected', 'reconnected');
    m.set('reconnecting', 'network-lost');
    m.set('disconnected', 'reconnect-failed');
    expect(changes.map((c) => `${c.state}(${c.reason})`)).toEqual([
      'connecting(entering)',
      'connected(entered)',
      'reconnecting(network-lost)',
      'connected(reconnected)',
      'reconnecting(network-lost)',
      'disconnected(reconnect-failed)',
    ]);
  });

  it('[R-50] a live room can end left, kicked, room-closed or wrong-password', () => {
    for (const from of ['connected', 'reconnecting'] as const) {
      for (const reason of ['left', 'kicked', 'room-closed', 'wrong-password'] as const) {
        expect(isAllowedTransition(from, 'disconnected', reason), `${from} -> ${reason}`).toBe(true);
      }
    }
  });

  it('[R-50] transitions SPEC §4 does not list are refused and change nothing', () => {
    const refused: [Parameters<typeof isAllowedTransition>[0], Parameters<typeof isAllowedTransition>[1], Parameters<typeof isAllowedTransition>[2]][] = [
      [null, 'connected', 'entered'],
      [null, 'connecting', 'reconnected'],
      ['connecting', 'connected', 'reconnected'],
      ['connecting', 'reconnecting', 'network-lost'],
      ['connecting', 'disconnected', 'reconnect-failed'],
      ['connected', 'connected', 'entered'],
      ['connected', 'disconnected', ErrorCode.ROOM_NOT_FOUND],
      ['reconnecting', 'connected', 'entered'],
      ['disconnected', 'connecting', 'entering'],
    ];
    for (const [from, to, reason] of refused) expect(isAllowedTransition(from, to, reason), `${from} -> ${to}(${reason})`).toBe(false);

    const { m, changes } = machine();
    m.set('connecting', 'entering');
    expect(() => m.set('reconnecting', 'network-lost')).toThrow(InvalidTransitionError);
    expect(m.state).toBe('connecting');
    expect(changes).toHaveLength(1);
  });

  it('[R-50] disconnected is final', () => {
    const { m } = machine();
    m.set('connecting', 'entering');
    m.set('disconnected', 'left');
    expect(() => m.set('connecting', 'entering')).toThrow(InvalidTransitionError);
  });
});
