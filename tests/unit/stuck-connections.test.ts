import { describe, expect, it } from 'vitest';
import { StuckConnectionWatchdog } from '../../src/lib/rooms/stuck-connections.js';

function conn(state: { connected?: boolean; closed?: boolean } = {}) {
  const listeners: (() => void)[] = [];
  const c = {
    connected: false,
    closed: false,
    destroyed: 0,
    ...state,
    receive: () => listeners.splice(0).forEach((listener) => listener()),
    peer: { destroy: () => c.destroyed++, once: (_event: 'data', listener: () => void) => listeners.push(listener) },
  };
  return c;
}

describe('stuck y-webrtc connections are given up [R-51][R-52]', () => {
  it('destroys a connection that has not connected and synced by its deadline, once, and leaves healthy ones alone', () => {
    const watchdog = new StuckConnectionWatchdog(() => 0.5); // grace 8 s + 3 s
    const stuck = conn();
    const deaf = conn({ connected: true }); // connected, but nothing ever arrives
    const healthy = conn({ connected: true });
    const room = { webrtcConns: new Map<string, unknown>([['a', stuck], ['b', deaf], ['c', healthy]]) };

    watchdog.check(room, 0);
    healthy.receive(); // sync and awareness messages arrive on a live connection
    watchdog.check(room, 10_999);
    expect([stuck.destroyed, deaf.destroyed, healthy.destroyed]).toEqual([0, 0, 0]);

    watchdog.check(room, 11_000);
    expect([stuck.destroyed, deaf.destroyed, healthy.destroyed]).toEqual([1, 1, 0]);
    // y-webrtc marks a destroyed connection closed (and drops it); it is not destroyed twice.
    stuck.closed = deaf.closed = true;
    watchdog.check(room, 20_000);
    expect([stuck.destroyed, deaf.destroyed]).toEqual([1, 1]);
  });

  it('gives each connection its own grace, so two ends rarely give up together', () => {
    const values = [0, 1];
    const watchdog = new StuckConnectionWatchdog(() => values.shift()!);
    const early = conn();
    const late = conn();
    watchdog.check({ webrtcConns: new Map([['early', early], ['late', late]]) }, 0);
    watchdog.check({ webrtcConns: new Map([['early', early], ['late', late]]) }, 8_000);
    expect([early.destroyed, late.destroyed]).toEqual([1, 0]);
    watchdog.check({ webrtcConns: new Map([['late', late]]) }, 14_000);
    expect(late.destroyed).toBe(1);
  });

  it('ignores providers without y-webrtc connections', () => {
    expect(() => new StuckConnectionWatchdog().check(null, 0)).not.toThrow();
    expect(() => new StuckConnectionWatchdog().check({ webrtcConns: 'no' }, 0)).not.toThrow();
  });
});
