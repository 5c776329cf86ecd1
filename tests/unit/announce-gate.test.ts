import { EventEmitter } from 'node:events';
import { describe, expect, it, vi } from 'vitest';
import { gateRoom, gateSocket, judge, keepsOwnOffer, leaveQuietly, ungateRoom, type WebrtcConnLike, type YWebrtcRoomLike } from '../../src/lib/rooms/announce-gate.js';
import { openSignalingData } from '../../src/lib/rooms/signaling-wire.js';
// y-webrtc's own sealing, to check that ours speaks the same format (the package exports only
// its main module; its build ships the types next to it).
// @ts-expect-error -- the source has no types of its own; they are read from the build below.
import * as yWebrtcCrypto from '../../node_modules/y-webrtc/src/crypto.js';
import type * as YWebrtcCrypto from '../../node_modules/y-webrtc/dist/src/crypto.js';
import { toBase64 } from 'lib0/buffer';

const { deriveKey, encryptJson } = yWebrtcCrypto as typeof YWebrtcCrypto;

let roomCounter = 0;

/** A y-webrtc WebrtcConn in miniature: its simple-peer records being discarded. */
function conn(initiator: boolean, connected = false) {
  const peer = {
    initiator,
    destroyed: false,
    listeners: ['close', 'error', 'signal'] as string[],
    removeAllListeners(event: string) {
      peer.listeners = peer.listeners.filter((name) => name !== event);
    },
    destroy() {
      peer.destroyed = true;
    },
  };
  return { connected, peer };
}

function room(peerId: string, options: { key?: CryptoKey | null; conns?: Record<string, WebrtcConnLike>; name?: string } = {}): YWebrtcRoomLike {
  return {
    name: options.name ?? `gate-test-${++roomCounter}`,
    peerId,
    key: options.key ?? null,
    webrtcConns: new Map(Object.entries(options.conns ?? {})),
    bcConns: new Set(),
  };
}

/** A lib0-style socket: emit(name, args) calls listeners in order. */
function socket() {
  const listeners: ((message: unknown) => void)[] = [];
  const s = {
    on: (listener: (message: unknown) => void) => listeners.push(listener),
    emit(name: string, args: unknown[]) {
      if (name === 'message') for (const listener of listeners) listener(args[0]);
    },
    receive(topic: string, data: unknown) {
      s.emit('message', [{ type: 'publish', topic, data }]);
    },
  };
  return s;
}

const settle = () => new Promise((resolve) => setTimeout(resolve, 20));
const signal = (from: string, to: string, type: string) => ({ type: 'signal', from, to, signal: { type } });

describe('glare between two members offering at once (announce gate)', () => {
  it('the smaller peer id keeps its offer; both ends agree', () => {
    expect(keepsOwnOffer('a', 'b')).toBe(true);
    expect(keepsOwnOffer('b', 'a')).toBe(false);
  });

  it('judges: only an offer meeting our own unanswered offer is glare; the rest passes', () => {
    const offering = { a: conn(true), z: conn(true) };
    const r = room('m', { conns: offering });
    // Ours stands against a larger id; a smaller id's stands against ours.
    expect(judge(r, signal('z', 'm', 'offer'))).toBe('drop');
    expect(judge(r, signal('a', 'm', 'offer'))).toBe('give-way');
    // No connection yet, ours answering, ours already open: y-webrtc handles it as it would.
    expect(judge(room('m'), signal('z', 'm', 'offer'))).toBe('pass');
    expect(judge(room('m', { conns: { z: conn(false) } }), signal('z', 'm', 'offer'))).toBe('pass');
    expect(judge(room('m', { conns: { z: conn(true, true) } }), signal('z', 'm', 'offer'))).toBe('pass');
    // Candidates are dropped only from a peer whose offer was; announces, answers and what is
    // not ours to read pass untouched.
    expect(judge(r, signal('z', 'm', 'candidate'), new Set(['z']))).toBe('drop');
    expect(judge(r, signal('z', 'm', 'candidate'))).toBe('pass');
    // …and a TCP active candidate, which nothing of Chromium's can pair with, from anyone.
    const tcp = (tcptype: string) => ({ ...signal('z', 'm', 'candidate'), signal: { type: 'candidate', candidate: { candidate: `candidate:1 1 tcp 1518280447 192.0.2.2 9 typ host tcptype ${tcptype} generation 0` } } });
    expect(judge(r, tcp('active'))).toBe('drop');
    expect(judge(r, tcp('passive'))).toBe('pass');
    expect(judge(r, signal('z', 'm', 'answer'), new Set(['z']))).toBe('pass');
    expect(judge(r, { type: 'announce', from: 'z' })).toBe('pass');
    expect(judge(r, signal('z', 'x', 'offer'))).toBe('pass');
    expect(judge(r, null)).toBe('pass');
  });

  it('keeping its offer: the other’s offer and its candidates never reach y-webrtc, until the other’s answer', () => {
    const r = room('m', { conns: { z: conn(true) } });
    const s = socket();
    const seen: unknown[] = [];
    s.on((message) => seen.push((message as { data: unknown }).data));
    gateSocket(s);
    gateRoom(r, () => {});
    s.receive(r.name, signal('z', 'm', 'offer'));
    s.receive(r.name, signal('z', 'm', 'candidate'));
    s.receive(r.name, signal('z', 'm', 'answer'));
    s.receive(r.name, signal('z', 'm', 'candidate'));
    s.receive('another-room', signal('z', 'm', 'offer'));
    expect(seen).toEqual([signal('z', 'm', 'answer'), signal('z', 'm', 'candidate'), signal('z', 'm', 'offer')]);
    ungateRoom(r);
  });

  it('giving way: our unanswered connection is discarded without y-webrtc hearing of it, then the offer reaches y-webrtc', () => {
    const ours = conn(true);
    const r = room('m', { conns: { a: ours } });
    const s = socket();
    const seen: unknown[] = [];
    s.on((message) => {
      // What y-webrtc finds when the offer reaches it: no connection, so it answers from a new one.
      seen.push({ data: (message as { data: unknown }).data, connectionThen: r.webrtcConns.has('a') });
    });
    gateSocket(s);
    gateRoom(r, () => {});
    s.receive(r.name, signal('a', 'm', 'offer'));
    expect(seen).toEqual([{ data: signal('a', 'm', 'offer'), connectionThen: false }]);
    expect(ours.peer.destroyed).toBe(true);
    // y-webrtc's close and error handlers are gone: they would forget the peer and announce again.
    expect(ours.peer.listeners).toEqual(['signal']);
    ungateRoom(r);
  });

  it('N members announcing at once, in any order: every pair ends with one connection, one side offering, and no candidate reaches the wrong one', () => {
    for (let seed = 1; seed <= 30; seed++) {
      const ids = ['5e', '0a', 'c3', '9f', '71', 'b2'];
      // One tab each: the gate keeps one room per topic, as y-webrtc does per tab, so each
      // member's room gets a topic of its own here.
      const rooms = ids.map((id) => room(id, { name: `mesh-${seed}-${id}` }));
      // y-webrtc in miniature, behind the gate: an announce starts an initiator connection
      // unless one exists; an offer reaching it creates (or, the bug, feeds) a connection that
      // answers. Each connection has a session id, which its signals carry.
      type Signal = { type: string; from: string; to?: string; signal?: { type: string; session: number } };
      type Conn = WebrtcConnLike & { session: number; remote?: number };
      let sessions = 0;
      const channels = new Map<string, Signal[]>();
      const send = (from: number, to: number, data: Signal) => {
        const key = `${from}>${to}`;
        channels.set(key, [...(channels.get(key) ?? []), data]);
      };
      const broadcast = (from: number, data: Signal) => ids.forEach((_, to) => to !== from && send(from, to, data));
      const open = (at: number, to: number, initiator: boolean): Conn => {
        const c: Conn = { ...conn(initiator), session: ++sessions };
        rooms[at].webrtcConns.set(ids[to], c);
        return c;
      };
      let random = seed;
      const next = () => (random = (random * 16807) % 2147483647) / 2147483647;
      for (let i = 0; i < ids.length; i++) broadcast(i, { type: 'announce', from: ids[i] });
      const gated = rooms.map(() => {
        const s = socket();
        gateSocket(s);
        return s;
      });
      rooms.forEach((r, i) => {
        gateRoom(r, () => {});
        gated[i].on((message) => {
          const data = (message as { data: Signal }).data;
          const from = ids.indexOf(data.from);
          const existing = r.webrtcConns.get(data.from) as Conn | undefined;
          if (data.type === 'announce') {
            if (existing) return;
            const c = open(i, from, true);
            send(i, from, { type: 'signal', from: r.peerId, to: data.from, signal: { type: 'offer', session: c.session } });
            send(i, from, { type: 'signal', from: r.peerId, to: data.from, signal: { type: 'candidate', session: c.session } });
            return;
          }
          const kind = data.signal!.type;
          if (kind === 'offer') {
            expect(existing?.peer?.initiator, `an offer fed into ${r.peerId}'s initiator connection (seed ${seed})`).not.toBe(true);
            const c = existing ?? open(i, from, false);
            c.remote = data.signal!.session;
            send(i, from, { type: 'signal', from: r.peerId, to: data.from, signal: { type: 'answer', session: c.session } });
            send(i, from, { type: 'signal', from: r.peerId, to: data.from, signal: { type: 'candidate', session: c.session } });
          } else if (kind === 'answer') {
            expect(existing?.peer?.initiator).toBe(true);
            existing!.remote = data.signal!.session;
            existing!.connected = true;
          } else if (kind === 'candidate') {
            expect(existing?.remote, `a candidate of another connection reached ${r.peerId} (seed ${seed})`).toBe(data.signal!.session);
          }
        });
      });
      // Deliver: each sender's messages to one receiver in order (one relay socket), channels
      // taking turns at random.
      for (;;) {
        const ready = [...channels].filter(([, queue]) => queue.length > 0);
        if (ready.length === 0) break;
        const [key, queue] = ready[Math.floor(next() * ready.length)];
        const to = Number(key.split('>')[1]);
        gated[to].receive(rooms[to].name, queue.shift());
      }
      for (let a = 0; a < ids.length; a++) {
        for (let b = a + 1; b < ids.length; b++) {
          const ab = rooms[a].webrtcConns.get(ids[b]) as Conn;
          const ba = rooms[b].webrtcConns.get(ids[a]) as Conn;
          expect(ab.peer!.initiator).not.toBe(ba.peer!.initiator);
          // Each end's connection talks to the other's: one working connection per pair.
          expect([ab.remote, ba.remote]).toEqual([ba.session, ab.session]);
        }
      }
      rooms.forEach((r) => ungateRoom(r));
    }
  });

  describe('password rooms (payloads sealed with the room key)', () => {
    it('opens what y-webrtc seals; a payload sealed with another key, or junk, is not read', async () => {
      const key = (await deriveKey('secret', 'wire-room')) as CryptoKey;
      const theirs = toBase64(await encryptJson({ type: 'announce', from: 'abc' }, key));
      expect(await openSignalingData(theirs, key)).toEqual({ type: 'announce', from: 'abc' });
      const otherKey = (await deriveKey('other', 'wire-room')) as CryptoKey;
      expect(await openSignalingData(theirs, otherKey)).toBeNull();
      expect(await openSignalingData('not base64 at all', key)).toBeNull();
    });

    it('settles glare on sealed offers too, keeping the room’s messages in order', async () => {
      const key = (await deriveKey('secret', 'sealed-room')) as CryptoKey;
      const r = room('m', { key, name: 'sealed-room', conns: { z: conn(true) } });
      const s = socket();
      const seen: unknown[] = [];
      s.on((message) => seen.push((message as { data: unknown }).data));
      gateSocket(s);
      gateRoom(r, () => {});
      const seal = (value: object) => encryptJson(value, key).then(toBase64);
      const announce = await seal({ type: 'announce', from: 'y' });
      const offer = await seal(signal('z', 'm', 'offer'));
      const answer = await seal(signal('z', 'm', 'answer'));
      s.receive(r.name, announce);
      s.receive(r.name, offer);
      s.receive(r.name, answer);
      s.receive(r.name, 'junk');
      await settle();
      expect(seen).toEqual([announce, answer, 'junk']);
      ungateRoom(r);
    });
  });
});

describe('leaving a room (leaveQuietly)', () => {
  it('[R-14] the connections close without y-webrtc announcing the departed peer again, and an error on the way throws nowhere', () => {
    // y-webrtc's close and error handlers subscribe the room's topic again and announce us there.
    const announce = vi.fn();
    const peers = [new EventEmitter(), new EventEmitter()];
    for (const peer of peers) {
      peer.on('close', announce);
      peer.on('error', announce);
    }
    const left = room('a', { conns: Object.fromEntries(peers.map((peer, i) => [`p${i}`, { connected: true, peer } as WebrtcConnLike])) });
    leaveQuietly(left);
    for (const peer of peers) {
      peer.emit('close');
      expect(() => peer.emit('error', new Error('connection reset'))).not.toThrow();
    }
    expect(announce).not.toHaveBeenCalled();
  });
});
