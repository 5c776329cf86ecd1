/**
 * Peer input, media signals [R-30][R-31][R-41]: anyone subscribed to a room's media topic can
 * publish anything there. A member's SignalChannel must drop what is not a signal for it, and
 * keep delivering the real signals that come after, in order.
 */
import { describe, expect, it, vi } from 'vitest';
import { SignalChannel } from '../../src/lib/media/signal-channel.js';
import { mediaTopic, parseSignal, type MediaSignal } from '../../src/lib/media/signals.js';
import { deriveMediaKey, sealJson } from '../../src/lib/media/room-key.js';
import type { RelayLink, TopicListener } from '../../src/lib/rooms/relay-link.js';

const ROOM = 'media-junk';
const ME = '1001';
const PEER = '2002';

/** The part of RelayLink a SignalChannel uses: the test plays the relay's deliveries. */
function fakeLink() {
  const listeners = new Map<string, TopicListener>();
  const link = {
    subscribe(topic: string, listener: TopicListener) {
      listeners.set(topic, listener);
      return () => listeners.delete(topic);
    },
    publish: () => true,
  };
  return {
    link: link as unknown as RelayLink,
    deliver(data: unknown) {
      listeners.get(mediaTopic(ROOM))?.(data);
    },
  };
}

/** Lets the channel's queue of openings run. */
async function settle(): Promise<void> {
  for (let i = 0; i < 20; i++) await new Promise((resolve) => setTimeout(resolve, 0));
}

function signal(conn: string, extra: Partial<MediaSignal> = {}): MediaSignal {
  return { t: 'play', from: PEER, to: ME, stream: 'camera', conn, ...extra } as MediaSignal;
}

/**
 * What a peer who knows the password can seal: any text, in sealJson's format (base64 of a
 * 12-byte IV and the AES-GCM ciphertext); sealJson itself only seals what it can stringify.
 */
async function sealText(key: CryptoKey, text: string): Promise<string> {
  const iv = crypto.getRandomValues(new Uint8Array(12));
  const sealed = new Uint8Array(await crypto.subtle.encrypt({ name: 'AES-GCM', iv }, key, new TextEncoder().encode(text)));
  return Buffer.concat([iv, sealed]).toString('base64');
}

/** The JSON text of an object nested `depth` levels: parses fine, JSON.stringify overflows on it. */
function deepJson(depth: number): string {
  return '{"a":'.repeat(depth) + '1' + '}'.repeat(depth);
}

/** A JSON object nested `depth` levels: parses fine, but JSON.stringify overflows the stack. */
function deeplyNested(depth: number): unknown {
  return JSON.parse(deepJson(depth));
}

const JUNK: unknown[] = [
  null,
  42,
  'play',
  [],
  { v: 1 },
  { v: 1, s: null },
  { v: 1, s: { t: 'play' } },
  { v: 1, s: { ...signal('c-1'), t: 'offer' } },
  { v: 1, s: { ...signal('c-1'), from: 'mallory' } },
  { v: 1, s: { ...signal('c-1'), stream: 'x'.repeat(65) } },
  { v: 1, s: { ...signal('c-1'), t: 'signal', data: 'sdp' } },
  { v: 1, s: { ...signal('c-1'), t: 'signal', data: { sdp: 'x'.repeat(40_000) } } },
  { v: 1, s: { ...signal('c-1'), t: 'signal', data: deeplyNested(20_000) } },
  { v: 1, s: { ...signal('c-1'), t: 'refuse', code: { not: 'a code' } } },
  // Addressed to someone else, or claiming to come from me.
  { v: 1, s: signal('c-1', { to: '3003' }) },
  { v: 1, s: signal('c-1', { from: ME }) },
];

describe('media signals from peers are checked [R-30]', () => {
  it('a signal nested thousands deep is refused, not thrown', () => {
    expect(() => parseSignal({ ...signal('c-1'), t: 'signal', data: deeplyNested(20_000) })).not.toThrow();
    expect(parseSignal({ ...signal('c-1'), t: 'signal', data: deeplyNested(20_000) })).toBeNull();
  });

  it('junk on the media topic is dropped and the real signals after it still arrive, in order', async () => {
    const { link, deliver } = fakeLink();
    const received: MediaSignal[] = [];
    const channel = new SignalChannel(link, ROOM, null, ME, (s) => received.push(s));
    deliver({ v: 1, s: signal('before') });
    for (const junk of JUNK) deliver(junk);
    deliver({ v: 1, s: signal('after-1') });
    deliver({ v: 1, s: { ...signal('after-2'), t: 'signal', data: { type: 'offer', sdp: 'v=0' } } });
    await settle();
    expect(received.map((s) => s.conn)).toEqual(['before', 'after-1', 'after-2']);
    channel.close();
  });

  it('[R-41] in a password room: plain signals, bad ciphertext and signals sealed with another key are dropped', async () => {
    const key = await deriveMediaKey('secret', ROOM);
    const otherKey = await deriveMediaKey('guess', ROOM);
    const { link, deliver } = fakeLink();
    const received: MediaSignal[] = [];
    const channel = new SignalChannel(link, ROOM, key, ME, (s) => received.push(s));
    deliver({ v: 1, e: await sealJson(key, signal('before')) });
    deliver({ v: 1, s: signal('plain') });
    deliver({ v: 1, e: 'not base64 at all!' });
    deliver({ v: 1, e: 42 });
    deliver({ v: 1, e: await sealJson(otherKey, signal('wrong-key')) });
    const deep = JSON.stringify({ ...signal('deep'), t: 'signal', data: 0 }).replace('"data":0', `"data":${deepJson(20_000)}`);
    deliver({ v: 1, e: await sealText(key, deep) });
    deliver({ v: 1, e: await sealText(key, '{"t":"play", not json') });
    deliver({ v: 1, e: await sealJson(key, 'a sealed string') });
    deliver({ v: 1, e: await sealJson(key, signal('after')) });
    // Opening runs in WebCrypto's thread pool, for as long as a loaded machine makes it: wait for
    // the last signal rather than a number of ticks. The queue keeps order, so by then every
    // signal before it has been judged.
    await vi.waitFor(() => expect(received.map((s) => s.conn)).toContain('after'), { timeout: 10_000 });
    expect(received.map((s) => s.conn)).toEqual(['before', 'after']);
    channel.close();
  });

  it('a handler that throws on one signal does not stop the signals after it', async () => {
    const { link, deliver } = fakeLink();
    const received: string[] = [];
    const warn = console.warn;
    console.warn = () => {}; // the drop is reported there; keep the test output clean
    try {
      const channel = new SignalChannel(link, ROOM, null, ME, (s) => {
        if (s.conn === 'poison') throw new Error('handler failed');
        received.push(s.conn);
      });
      for (const conn of ['before', 'poison', 'after']) deliver({ v: 1, s: signal(conn) });
      await settle();
      expect(received).toEqual(['before', 'after']);
      channel.close();
    } finally {
      console.warn = warn;
    }
  });
});
