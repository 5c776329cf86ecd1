/**
 * What y-webrtc's socket sends about a room while the relay has not yet let the member in
 * (subscription-hold.ts): nothing, until released; then the subscription and the announce, in
 * order; other rooms of the tab are never held up.
 */
import { describe, expect, it } from 'vitest';
import { holdSubscription } from '../../src/lib/rooms/subscription-hold.js';

/** A lib0-style socket that records what reaches the relay. */
function socket(connected = true) {
  return {
    connected,
    sent: [] as unknown[],
    send(message: unknown) {
      this.sent.push(message);
    },
  };
}

const subscribe = (...topics: string[]) => ({ type: 'subscribe', topics });
const announce = (topic: string, from = 'me') => ({ type: 'publish', topic, data: { type: 'announce', from } });

describe('holding a room subscription until the relay admits the member', () => {
  it('sends nothing about the room while held; on release, the subscription, then the announce', () => {
    const s = socket();
    const hold = holdSubscription(s, 'room-a');
    s.send(subscribe('room-a'));
    s.send(announce('room-a'));
    expect(s.sent).toEqual([]);

    hold.release();
    expect(s.sent).toEqual([subscribe('room-a'), announce('room-a')]);
    // Released for good: what y-webrtc sends later goes straight through.
    s.send(announce('room-a', 'again'));
    expect(s.sent.at(-1)).toEqual(announce('room-a', 'again'));
  });

  it('other rooms pass, also when one subscription lists several (the socket reconnected)', () => {
    const s = socket();
    const hold = holdSubscription(s, 'room-a');
    s.send(subscribe('room-b', 'room-a', 'room-c'));
    s.send(announce('room-b'));
    s.send(announce('room-a'));
    s.send({ type: 'ping' });
    expect(s.sent).toEqual([subscribe('room-b', 'room-c'), announce('room-b'), { type: 'ping' }]);

    hold.release();
    expect(s.sent.slice(3)).toEqual([subscribe('room-a'), announce('room-a')]);
  });

  it('a refusal (drop) forgets what was held: the relay never hears of the room', () => {
    const s = socket();
    const hold = holdSubscription(s, 'room-a');
    s.send(subscribe('room-a'));
    s.send(announce('room-a'));
    hold.drop();
    expect(s.sent).toEqual([]);
  });

  it('released before y-webrtc subscribed (its room key still being derived): sends nothing, y-webrtc does it itself', () => {
    const s = socket();
    holdSubscription(s, 'room-a').release();
    expect(s.sent).toEqual([]);
    s.send(subscribe('room-a'));
    expect(s.sent).toEqual([subscribe('room-a')]);
  });

  it('released while the socket is down: sends nothing; y-webrtc subscribes and announces when it reconnects', () => {
    const s = socket();
    const hold = holdSubscription(s, 'room-a');
    s.send(subscribe('room-a'));
    s.send(announce('room-a'));
    s.connected = false;
    hold.release();
    expect(s.sent).toEqual([]);
  });

  it('a new subscription (the socket reconnected meanwhile) makes what was held before it stale', () => {
    const s = socket();
    const hold = holdSubscription(s, 'room-a');
    s.send(subscribe('room-a'));
    s.send(announce('room-a', 'first'));
    s.send(subscribe('room-a'));
    s.send(announce('room-a', 'second'));
    hold.release();
    expect(s.sent).toEqual([subscribe('room-a'), announce('room-a', 'second')]);
  });

  it('two rooms held on one socket are released independently', () => {
    const s = socket();
    const a = holdSubscription(s, 'room-a');
    const b = holdSubscription(s, 'room-b');
    s.send(subscribe('room-a', 'room-b'));
    b.release();
    expect(s.sent).toEqual([subscribe('room-b')]);
    a.release();
    expect(s.sent).toEqual([subscribe('room-b'), subscribe('room-a')]);
  });
});
