import { describe, expect, it } from 'vitest';
import { gateRoom, gateSocket, judge, offersTo, ungateRoom, type YWebrtcRoomLike } from '../../src/lib/rooms/announce-gate.js';
import { openSignalingData, sealSignalingData } from '../../src/lib/rooms/signaling-wire.js';
// y-webrtc's own sealing, to check that ours speaks the same format (the package exports only
// its main module; its build ships the types next to it).
// @ts-expect-error -- the source has no types of its own; they are read from the build below.
import * as yWebrtcCrypto from '../../node_modules/y-webrtc/src/crypto.js';
import type * as YWebrtcCrypto from '../../node_modules/y-webrtc/dist/src/crypto.js';
import { toBase64, fromBase64 } from 'lib0/buffer';

const { decryptJson, deriveKey, encryptJson } = yWebrtcCrypto as typeof YWebrtcCrypto;

let roomCounter = 0;

function room(peerId: string, options: { key?: CryptoKey | null; conns?: string[]; name?: string } = {}): YWebrtcRoomLike & { webrtcConns: Map<string, { peer: { initiator: boolean } }> } {
  return {
    name: options.name ?? `gate-test-${++roomCounter}`,
    peerId,
    key: options.key ?? null,
    webrtcConns: new Map((options.conns ?? []).map((id) => [id, { peer: { initiator: false } }])),
    bcConns: new Set(),
  };
}

/** A lib0-style socket: emit(name, args) calls listeners in order; what is sent is recorded. */
function socket() {
  const listeners: ((message: unknown) => void)[] = [];
  const s = {
    sent: [] as { type: string; topic: string; data: unknown }[],
    on: (listener: (message: unknown) => void) => listeners.push(listener),
    emit(name: string, args: unknown[]) {
      if (name === 'message') for (const listener of listeners) listener(args[0]);
    },
    send(message: unknown) {
      s.sent.push(message as { type: string; topic: string; data: unknown });
    },
    receive(topic: string, data: unknown) {
      s.emit('message', [{ type: 'publish', topic, data }]);
    },
  };
  return s;
}

const settle = () => new Promise((resolve) => setTimeout(resolve, 20));

describe('one side of each pair offers (announce gate)', () => {
  it('the smaller peer id offers; both ends agree', () => {
    expect(offersTo('a', 'b')).toBe(true);
    expect(offersTo('b', 'a')).toBe(false);
  });

  it('judges announces: from a peer we offer to → pass; from one that offers to us → held, and invited when there is no connection yet', () => {
    const r = room('m');
    expect(judge(r, { type: 'announce', from: 'z' })).toBe('pass');
    expect(judge(r, { type: 'announce', from: 'a' })).toBe('hold-and-invite');
    expect(judge(room('m', { conns: ['a'] }), { type: 'announce', from: 'a' })).toBe('hold');
    // Addressed to us by a peer that should be offering: held, never answered (no ping-pong with a client of other rules).
    expect(judge(r, { type: 'announce', from: 'a', to: 'm' })).toBe('hold');
    // What y-webrtc ignores anyway passes untouched: our own echo, one for another peer, signals, junk.
    expect(judge(r, { type: 'announce', from: 'm' })).toBe('pass');
    expect(judge(r, { type: 'announce', from: 'a', to: 'x' })).toBe('pass');
    expect(judge(r, { type: 'signal', from: 'a', to: 'm', signal: { type: 'offer' } })).toBe('pass');
    expect(judge(r, null)).toBe('pass');
  });

  it('holds an announce before y-webrtc sees it and announces itself to that peer alone; the rest reaches y-webrtc in order', () => {
    const r = room('m');
    const s = socket();
    const seen: unknown[] = [];
    s.on((message) => seen.push((message as { data: unknown }).data));
    gateSocket(s);
    gateRoom(r, () => {});
    s.receive(r.name, { type: 'announce', from: 'z' });
    s.receive(r.name, { type: 'announce', from: 'a' });
    s.receive(r.name, { type: 'signal', from: 'a', to: 'm', signal: { type: 'offer' } });
    s.receive('another-room', { type: 'announce', from: 'a' });
    expect(seen).toEqual([
      { type: 'announce', from: 'z' },
      { type: 'signal', from: 'a', to: 'm', signal: { type: 'offer' } },
      { type: 'announce', from: 'a' },
    ]);
    return settle().then(() => {
      expect(s.sent).toEqual([{ type: 'publish', topic: r.name, data: { type: 'announce', from: 'm', to: 'a' } }]);
      ungateRoom(r);
      s.receive(r.name, { type: 'announce', from: 'a' });
      expect(seen).toHaveLength(4);
    });
  });

  it('N members announcing at once in any order: every pair gets exactly one connection, started by one side', () => {
    for (let seed = 1; seed <= 20; seed++) {
      const ids = ['5e', '0a', 'c3', '9f', '71', 'b2'];
      // y-webrtc in miniature: an announce that reaches it starts an initiator connection
      // unless one exists; an offer creates the responder's.
      const rooms = ids.map((id) => room(id, { name: 'mesh' }));
      const queue: { to: number; data: { type: string; from: string; to?: string } }[] = [];
      let random = seed;
      const next = () => (random = (random * 16807) % 2147483647) / 2147483647;
      const broadcast = (from: number, data: { type: string; from: string; to?: string }) => ids.forEach((_, to) => to !== from && queue.push({ to, data }));
      for (let i = 0; i < ids.length; i++) broadcast(i, { type: 'announce', from: ids[i] });
      while (queue.length > 0) {
        const { to, data } = queue.splice(Math.floor(next() * queue.length), 1)[0];
        const r = rooms[to];
        if (data.to !== undefined && data.to !== r.peerId) continue;
        const verdict = judge(r, data);
        if (verdict === 'hold-and-invite') broadcast(to, { type: 'announce', from: r.peerId, to: data.from });
        if (verdict !== 'pass') continue;
        if (data.type === 'announce' && !r.webrtcConns.has(data.from)) {
          r.webrtcConns.set(data.from, { peer: { initiator: true } });
          broadcast(to, { type: 'offer', from: r.peerId, to: data.from });
        } else if (data.type === 'offer') {
          expect(r.webrtcConns.get(data.from)?.peer?.initiator, `glare between ${r.peerId} and ${data.from}`).not.toBe(true);
          r.webrtcConns.set(data.from, { peer: { initiator: false } });
        }
      }
      for (const a of rooms) {
        for (const b of rooms) {
          if (a === b) continue;
          expect(a.webrtcConns.get(b.peerId)?.peer?.initiator).toBe(offersTo(a.peerId, b.peerId));
        }
      }
    }
  });

  describe('password rooms (payloads sealed with the room key)', () => {
    it('opens what y-webrtc seals and seals what y-webrtc opens', async () => {
      const key = (await deriveKey('secret', 'wire-room')) as CryptoKey;
      const theirs = toBase64(await encryptJson({ type: 'announce', from: 'abc' }, key));
      expect(await openSignalingData(theirs, key)).toEqual({ type: 'announce', from: 'abc' });
      const ours = await sealSignalingData({ type: 'announce', from: 'm', to: 'a' }, key);
      expect(await decryptJson(fromBase64(ours as string), key)).toEqual({ type: 'announce', from: 'm', to: 'a' });
      const otherKey = (await deriveKey('other', 'wire-room')) as CryptoKey;
      expect(await openSignalingData(theirs, otherKey)).toBeNull();
      expect(await openSignalingData('not base64 at all', key)).toBeNull();
    });

    it('holds a sealed announce, invites with a sealed one, and keeps the room’s messages in order', async () => {
      const key = (await deriveKey('secret', 'sealed-room')) as CryptoKey;
      const r = room('m', { key, name: 'sealed-room' });
      const s = socket();
      const seen: unknown[] = [];
      s.on((message) => seen.push((message as { data: unknown }).data));
      gateSocket(s);
      gateRoom(r, () => {});
      const seal = (value: object) => encryptJson(value, key).then(toBase64);
      const fromA = await seal({ type: 'announce', from: 'a' });
      const fromZ = await seal({ type: 'announce', from: 'z' });
      const signal = await seal({ type: 'signal', from: 'z', to: 'm', signal: { type: 'answer' } });
      s.receive(r.name, fromZ);
      s.receive(r.name, fromA);
      s.receive(r.name, signal);
      s.receive(r.name, 'junk');
      await settle();
      expect(seen).toEqual([fromZ, signal, 'junk']);
      expect(s.sent).toHaveLength(1);
      expect(await openSignalingData(s.sent[0].data, key)).toEqual({ type: 'announce', from: 'm', to: 'a' });
      ungateRoom(r);
    });
  });
});
