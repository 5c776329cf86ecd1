import { describe, expect, it } from 'vitest';
import { ChunkedDataChannel, CHUNKING_DEFAULTS, type ChunkingOptions } from '../../src/lib/rooms/chunked-channel.js';
import { ChunkingError, ChunkingErrorCode, FRAME_MARKER, FrameKind } from '../../src/lib/rooms/chunk-framing.js';
import {
  CHROMIUM_MAX_MESSAGE_SIZE,
  createFakePair,
  drain,
  FakeDataChannel,
  openPair,
  randomBytes,
  seededRandom,
} from './support/fake-data-channel.js';

/**
 * late joiners get the full history: the data-channel wrapper that lets y-webrtc send a
 * document state bigger than the 256 KiB Chromium allows in one message (y-webrtc #20).
 */

interface End {
  fake: FakeDataChannel;
  channel: ChunkedDataChannel;
  received: unknown[];
  errors: ChunkingError[];
}

function wrap(fake: FakeDataChannel, options: ChunkingOptions = {}): End {
  const errors: ChunkingError[] = [];
  const channel = new ChunkedDataChannel(fake as unknown as RTCDataChannel, { onError: (error) => errors.push(error), ...options });
  const received: unknown[] = [];
  channel.onmessage = (event) => received.push(event.data);
  return { fake, channel, received, errors };
}

/** Two wrapped ends of an open fake link. */
function connectedPair(options: ChunkingOptions = {}, remoteOptions: ChunkingOptions = options): [End, End] {
  const [a, b] = createFakePair();
  const ends: [End, End] = [wrap(a, options), wrap(b, remoteOptions)];
  openPair(a, b);
  return ends;
}

/** A wrapped end whose peer is a raw fake channel: the test writes the peer's bytes itself. */
function endWithRawPeer(options: ChunkingOptions = {}): End {
  const [a, b] = createFakePair();
  const end = wrap(a, options);
  openPair(a, b);
  return end;
}

/** RTCDataChannel.send is overloaded per type; the tests send mixed lists. */
function send(channel: ChunkedDataChannel, message: string | Uint8Array<ArrayBuffer>): void {
  if (typeof message === 'string') channel.send(message);
  else channel.send(message);
}

function bytesOf(data: unknown): Uint8Array {
  expect(data).toBeInstanceOf(ArrayBuffer);
  return new Uint8Array(data as ArrayBuffer);
}

/** Byte equality without vitest's element-by-element diff, which takes seconds on megabytes. */
function expectSameBytes(actual: Uint8Array, expected: Uint8Array, label = ''): void {
  expect(actual.byteLength, `${label} length`).toBe(expected.byteLength);
  const firstDifference = actual.findIndex((byte, i) => byte !== expected[i]);
  expect(firstDifference, `${label} first differing byte`).toBe(-1);
}

function frame(kind: number, payload: Uint8Array | number[] = [], total?: number): ArrayBuffer {
  const header = total === undefined ? [FRAME_MARKER, kind] : [FRAME_MARKER, kind, total >>> 24, (total >>> 16) & 255, (total >>> 8) & 255, total & 255];
  return Uint8Array.from([...header, ...payload]).buffer;
}

describe('[R-52] chunked data channel: framing', () => {
  it('[R-52] messages the channel can carry go on the wire unchanged, so a stock y-webrtc peer still understands them', async () => {
    const random = seededRandom(1);
    const [alice, bob] = connectedPair();
    // y-webrtc messages start with their varUint type: sync 0, awareness 1, query awareness 3.
    const messages: (Uint8Array<ArrayBuffer> | string)[] = [
      randomBytes(1, random, 0),
      randomBytes(120, random, 1),
      randomBytes(1, random, 3),
      randomBytes(CHROMIUM_MAX_MESSAGE_SIZE, random, 0),
      new Uint8Array(0),
      'plain text',
    ];
    for (const message of messages) send(alice.channel, message);
    await drain(alice.fake, bob.fake, random);

    expect(alice.fake.wire).toHaveLength(messages.length);
    messages.forEach((message, i) => {
      const onWire = alice.fake.wire[i];
      if (typeof message === 'string') {
        expect(onWire).toBe(message);
        expect(bob.received[i]).toBe(message);
      } else {
        expectSameBytes(new Uint8Array(onWire as ArrayBuffer), message);
        expectSameBytes(bytesOf(bob.received[i]), message);
      }
    });
    expect(bob.errors).toEqual([]);
  });

  it('[R-52] a 10 MB document state arrives whole, as one message, sent in frames of at most 64 KiB', async () => {
    const random = seededRandom(2);
    const [alice, bob] = connectedPair();
    const state = randomBytes(10 * 1000 * 1000, random, 0);
    alice.channel.send(state);
    await drain(alice.fake, bob.fake, random);

    expect(bob.received).toHaveLength(1);
    expectSameBytes(bytesOf(bob.received[0]), state);
    expect(alice.fake.wire.length).toBeGreaterThanOrEqual(Math.ceil(state.byteLength / CHUNKING_DEFAULTS.frameSize));
    for (const onWire of alice.fake.wire) expect((onWire as ArrayBuffer).byteLength).toBeLessThanOrEqual(CHUNKING_DEFAULTS.frameSize);
    expect(bob.errors).toEqual([]);
  });

  it('[R-52] mixed sizes around every limit arrive intact and in order over a seeded random link', async () => {
    const sizes = [0, 1, 2, 100, 65_532, 65_533, 65_534, 65_535, 65_536, 65_537, 262_142, 262_143, 262_144, 262_145, 262_146, 300_000, 1_500_000];
    for (const seed of [11, 12, 13, 14, 15]) {
      const random = seededRandom(seed);
      const [alice, bob] = connectedPair();
      const sent: (Uint8Array<ArrayBuffer> | string)[] = [];
      for (let i = 0; i < 60; i++) {
        const size = sizes[Math.floor(random() * sizes.length)];
        // Some messages start with the frame marker, some look like y-webrtc's, some are text.
        const roll = random();
        const message = roll < 0.15 ? 'é'.repeat(Math.floor(size / 2)) : randomBytes(size, random, roll < 0.4 ? FRAME_MARKER : roll < 0.7 ? 0 : undefined);
        sent.push(message);
        send(alice.channel, message);
        // Interleave sending with partial delivery, and traffic the other way.
        if (random() < 0.3) alice.fake.transmit(Math.floor(random() * 300_000));
        if (random() < 0.2) bob.channel.send(randomBytes(10, random, 1));
      }
      await drain(alice.fake, bob.fake, random);

      expect(bob.received, `seed ${seed}`).toHaveLength(sent.length);
      sent.forEach((message, i) => {
        if (typeof message === 'string') expect(bob.received[i], `seed ${seed} #${i}`).toBe(message);
        else expectSameBytes(bytesOf(bob.received[i]), message, `seed ${seed} #${i}`);
      });
      expect(alice.received.length).toBeGreaterThan(0);
      expect([...alice.errors, ...bob.errors]).toEqual([]);
      // Every frame fits the smallest cap a browser has: 64 KiB.
      for (const onWire of alice.fake.wire) {
        const length = typeof onWire === 'string' ? new TextEncoder().encode(onWire).byteLength : onWire.byteLength;
        expect(length).toBeLessThanOrEqual(CHROMIUM_MAX_MESSAGE_SIZE);
      }
    }
  });

  it('[R-52] a small binary message that starts with the frame marker is escaped, and arrives unchanged', async () => {
    const random = seededRandom(3);
    const [alice, bob] = connectedPair();
    const message = Uint8Array.from([FRAME_MARKER, FrameKind.FirstBinary, 0, 0, 0, 9, 1, 2]);
    alice.channel.send(message);
    await drain(alice.fake, bob.fake, random);
    expect(new Uint8Array(alice.fake.wire[0] as ArrayBuffer)).toEqual(Uint8Array.from([FRAME_MARKER, FrameKind.Whole, ...message]));
    expectSameBytes(bytesOf(bob.received[0]), message);
  });

  it('[R-52] a large string arrives as a string; binaryType "blob" delivers a Blob', async () => {
    const random = seededRandom(4);
    const [alice, bob] = connectedPair();
    const text = 'chat message ✓ '.repeat(50_000);
    alice.channel.send(text);
    await drain(alice.fake, bob.fake, random);
    expect(alice.fake.wire.length).toBeGreaterThan(1);
    expect(bob.received).toEqual([text]);

    bob.channel.binaryType = 'blob';
    const big = randomBytes(700_000, random);
    alice.channel.send(big);
    alice.channel.send(Uint8Array.from([1, 2, 3]));
    await drain(alice.fake, bob.fake, random);
    expect(bob.received[1]).toBeInstanceOf(Blob);
    expectSameBytes(new Uint8Array(await (bob.received[1] as Blob).arrayBuffer()), big);
    expectSameBytes(new Uint8Array(await (bob.received[2] as Blob).arrayBuffer()), Uint8Array.from([1, 2, 3]));
  });

  it('[R-52] the bytes a caller reuses after send() returns do not change what arrives', async () => {
    const random = seededRandom(5);
    const [alice, bob] = connectedPair();
    const first = randomBytes(2_000_000, random, 0);
    alice.channel.send(first);
    const reused = randomBytes(50, random, 1);
    const expected = reused.slice();
    alice.channel.send(reused); // queued behind the big one
    reused.fill(7);
    await drain(alice.fake, bob.fake, random);
    expectSameBytes(bytesOf(bob.received[1]), expected);
  });
});

describe('[R-52] chunked data channel: backpressure', () => {
  it('[R-52] a 10 MB state never overfills the real channel, even a small one, and bufferedAmount counts what waits', async () => {
    const random = seededRandom(6);
    const [alice, bob] = connectedPair();
    alice.fake.sendBufferLimit = 2 * 1024 * 1024;
    const state = randomBytes(10 * 1000 * 1000, random, 0);

    alice.channel.send(state);
    expect(alice.channel.bufferedAmount).toBeGreaterThanOrEqual(state.byteLength);
    expect(alice.fake.bufferedAmount).toBeLessThan(CHUNKING_DEFAULTS.highWaterMark + CHUNKING_DEFAULTS.frameSize);

    // Half way through, the total still adds up.
    while (bob.received.length === 0 && alice.fake.bufferedAmount > 0 && alice.channel.bufferedAmount > state.byteLength / 2) alice.fake.transmit(100_000);
    const onWireSoFar = alice.fake.wire.reduce((sum, f) => sum + (f as ArrayBuffer).byteLength, 0);
    const delivered = onWireSoFar - alice.fake.bufferedAmount;
    expect(alice.channel.bufferedAmount + delivered).toBeGreaterThanOrEqual(state.byteLength);

    await drain(alice.fake, bob.fake, random);
    expectSameBytes(bytesOf(bob.received[0]), state);
    expect(alice.fake.peakBufferedAmount).toBeLessThan(CHUNKING_DEFAULTS.highWaterMark + CHUNKING_DEFAULTS.frameSize);
    expect(alice.channel.bufferedAmount).toBe(0);
  });

  it('[R-52] bufferedamountlow fires once the total drops to the threshold, as simple-peer waits for it', async () => {
    const random = seededRandom(7);
    const [alice, bob] = connectedPair();
    // What simple-peer does in _setupData, and how its _write decides to wait.
    alice.channel.bufferedAmountLowThreshold = 64 * 1024;
    let lows = 0;
    let amountAtLow = -1;
    alice.channel.onbufferedamountlow = () => {
      lows++;
      amountAtLow = alice.channel.bufferedAmount;
    };
    alice.channel.send(randomBytes(3_000_000, random, 0));
    expect(alice.channel.bufferedAmount).toBeGreaterThan(64 * 1024);
    await drain(alice.fake, bob.fake, random, 32 * 1024);
    expect(lows).toBe(1);
    expect(amountAtLow).toBeLessThanOrEqual(64 * 1024);

    // A message below the threshold never makes it fire: there was no drop from above.
    alice.channel.send(randomBytes(1000, random, 0));
    await drain(alice.fake, bob.fake, random);
    expect(lows).toBe(1);
  });

  it('[R-52] the send queue is bounded: beyond it send() throws, like a full channel, and the channel still works', async () => {
    const random = seededRandom(8);
    const [alice, bob] = connectedPair({ maxQueuedBytes: 4 * 1024 * 1024 });
    alice.channel.send(randomBytes(3_000_000, random, 0));
    const tooMuch = (): void => alice.channel.send(randomBytes(3_000_000, random, 0));
    expect(tooMuch).toThrow(expect.objectContaining({ code: ChunkingErrorCode.SEND_QUEUE_FULL }) as Error);
    expect(alice.errors.map((e) => e.code)).toEqual([ChunkingErrorCode.SEND_QUEUE_FULL]);
    await drain(alice.fake, bob.fake, random);
    alice.channel.send(Uint8Array.from([0, 1]));
    await drain(alice.fake, bob.fake, random);
    expect(bob.received).toHaveLength(2);
  });

  it('[R-52] a message over the size bound is refused by send(), before anything goes out', () => {
    const [alice] = connectedPair({ maxMessageSize: 1024 * 1024 });
    expect(() => alice.channel.send(new Uint8Array(1024 * 1024 + 1))).toThrow(
      expect.objectContaining({ code: ChunkingErrorCode.MESSAGE_TOO_LARGE }) as Error,
    );
    expect(alice.fake.wire).toEqual([]);
    expect(alice.channel.bufferedAmount).toBe(0);
    // y-webrtc swallows send errors, so the refusal is reported as well as thrown.
    expect(alice.errors.map((e) => e.code)).toEqual([ChunkingErrorCode.MESSAGE_TOO_LARGE]);
  });

  it('[R-52] if the real channel refuses a frame mid-message, the channel fails (error, then close) instead of leaving the peer silently out of sync', async () => {
    const random = seededRandom(9);
    const [alice, bob] = connectedPair();
    const errors: unknown[] = [];
    alice.channel.onerror = (event) => errors.push(event.error);
    alice.fake.failOnSend = 3;
    alice.channel.send(randomBytes(2_000_000, random, 0));
    await drain(alice.fake, bob.fake, random);
    expect(errors).toHaveLength(1);
    expect(errors[0]).toBeInstanceOf(DOMException);
    expect(alice.channel.readyState).toBe('closed');
    expect(alice.channel.bufferedAmount).toBe(alice.fake.bufferedAmount);
    expect(bob.received).toEqual([]);
  });
});

describe('[R-52] chunked data channel: a peer that breaks the format', () => {
  it('[R-52] a message announced above the 64 MiB bound is refused: one error, no allocation, its frames skipped, the channel stays open', () => {
    const end = endWithRawPeer();
    const peer = end.fake;
    peer.receive(frame(FrameKind.FirstBinary, [0, 1, 2], 64 * 1024 * 1024 + 1));
    for (let i = 0; i < 5; i++) peer.receive(frame(FrameKind.Next, new Uint8Array(60_000)));
    peer.receive(Uint8Array.from([1, 42]).buffer);

    expect(end.errors.map((e) => e.code)).toEqual([ChunkingErrorCode.MESSAGE_TOO_LARGE]);
    expect(end.received.map((d) => [...bytesOf(d)])).toEqual([[1, 42]]);
    expect(end.channel.readyState).toBe('open');
  });

  it('[R-52] a receiver with a smaller bound than its sender drops that message and keeps the next', async () => {
    const random = seededRandom(10);
    const [alice, bob] = connectedPair({}, { maxMessageSize: 1024 * 1024 });
    alice.channel.send(randomBytes(2 * 1024 * 1024, random, 0));
    alice.channel.send(Uint8Array.from([0, 5]));
    await drain(alice.fake, bob.fake, random);
    expect(bob.errors.map((e) => e.code)).toEqual([ChunkingErrorCode.MESSAGE_TOO_LARGE]);
    expect(bob.received.map((d) => [...bytesOf(d)])).toEqual([[0, 5]]);
  });

  const cases: { name: string; frames: ArrayBuffer[]; code: string; delivered: number[][] }[] = [
    {
      name: 'unknown frame kind',
      frames: [frame(0x7f, [1, 2])],
      code: ChunkingErrorCode.MALFORMED_FRAME,
      delivered: [],
    },
    {
      name: 'frame shorter than its header',
      frames: [Uint8Array.from([FRAME_MARKER]).buffer],
      code: ChunkingErrorCode.MALFORMED_FRAME,
      delivered: [],
    },
    {
      name: 'first frame with a truncated length',
      frames: [Uint8Array.from([FRAME_MARKER, FrameKind.FirstBinary, 0, 1]).buffer],
      code: ChunkingErrorCode.MALFORMED_FRAME,
      delivered: [],
    },
    {
      name: 'continuation without a first frame (its followers are skipped quietly)',
      frames: [frame(FrameKind.Next, [1, 2, 3]), frame(FrameKind.Next, [4])],
      code: ChunkingErrorCode.UNEXPECTED_CHUNK,
      delivered: [],
    },
    {
      name: 'more bytes than announced',
      frames: [frame(FrameKind.FirstBinary, [1, 2], 4), frame(FrameKind.Next, [3, 4, 5])],
      code: ChunkingErrorCode.LENGTH_MISMATCH,
      delivered: [],
    },
    {
      name: 'a new message before the previous one was complete',
      frames: [frame(FrameKind.FirstBinary, [1, 2], 4), frame(FrameKind.FirstBinary, [7, 8], 3), frame(FrameKind.Next, [9])],
      code: ChunkingErrorCode.INCOMPLETE_MESSAGE,
      delivered: [[7, 8, 9]],
    },
    {
      name: 'an unframed message in the middle of a split one',
      frames: [frame(FrameKind.FirstBinary, [1, 2], 4), Uint8Array.from([0, 9]).buffer, frame(FrameKind.Next, [3, 4])],
      code: ChunkingErrorCode.INCOMPLETE_MESSAGE,
      delivered: [[0, 9]],
    },
  ];
  for (const { name, frames, code, delivered } of cases) {
    it(`[R-52] ${name}: reported as ${code}, that message dropped, the next one delivered`, () => {
      const end = endWithRawPeer();
      for (const data of frames) end.fake.receive(data);
      end.fake.receive(frame(FrameKind.FirstBinary, [0, 1], 3));
      end.fake.receive(frame(FrameKind.Next, [2]));

      expect(end.errors.map((e) => e.code)).toEqual([code]);
      expect(end.errors[0]).toBeInstanceOf(ChunkingError);
      expect(end.received.map((d) => [...bytesOf(d)])).toEqual([...delivered, [0, 1, 2]]);
      expect(end.channel.readyState).toBe('open');
    });
  }

  it('[R-52] without an onError option, violations are logged as warnings', () => {
    const [a, b] = createFakePair();
    const channel = new ChunkedDataChannel(a as unknown as RTCDataChannel);
    openPair(a, b);
    const warnings: unknown[] = [];
    const original = console.warn;
    console.warn = (...args: unknown[]) => warnings.push(args.join(' '));
    try {
      a.receive(frame(FrameKind.Next, [1]));
    } finally {
      console.warn = original;
    }
    expect(warnings).toEqual([expect.stringContaining(ChunkingErrorCode.UNEXPECTED_CHUNK)]);
    expect(channel.readyState).toBe('open');
  });
});

describe('[R-52] chunked data channel: the RTCDataChannel surface simple-peer uses', () => {
  it('[R-52] attributes, state and events are the real channel’s', () => {
    const [a, b] = createFakePair();
    a.label = 'y-webrtc-abc';
    a.id = 7;
    a.binaryType = 'blob';
    const { channel } = wrap(a);
    expect(channel.label).toBe('y-webrtc-abc');
    expect(channel.id).toBe(7);
    expect(channel.ordered).toBe(true);
    expect(channel.negotiated).toBe(false);
    expect(channel.protocol).toBe('');
    expect(channel.maxRetransmits).toBeNull();
    expect(channel.maxPacketLifeTime).toBeNull();
    expect(typeof channel.bufferedAmountLowThreshold).toBe('number');
    // Keeps the caller's binaryType, while the real channel is read as ArrayBuffers.
    expect(channel.binaryType).toBe('blob');
    expect(a.binaryType).toBe('arraybuffer');
    channel.binaryType = 'bogus' as BinaryType;
    expect(channel.binaryType).toBe('blob');

    const seen: string[] = [];
    channel.onopen = () => seen.push('onopen');
    channel.addEventListener('open', () => seen.push('open listener'));
    channel.onclosing = () => seen.push('onclosing');
    channel.onerror = (event) => seen.push(`onerror ${(event.error as Error).message}`);
    channel.onclose = () => seen.push('onclose');
    expect(channel.readyState).toBe('connecting');
    expect(() => channel.send('too early')).toThrow(expect.objectContaining({ name: 'InvalidStateError' }) as Error);
    openPair(a, b);
    expect(channel.readyState).toBe('open');
    a.dispatchEvent(new Event('closing'));
    a.fail(new Error('sctp failure'));
    channel.close();
    expect(channel.readyState).toBe('closed');
    expect(seen).toEqual(['onopen', 'open listener', 'onclosing', 'onerror sctp failure', 'onclose']);
    expect(() => channel.send('too late')).toThrow(expect.objectContaining({ name: 'InvalidStateError' }) as Error);
  });

  it('[R-52] closing drops what waits in the queue', async () => {
    const random = seededRandom(16);
    const [alice, bob] = connectedPair();
    alice.channel.send(randomBytes(5_000_000, random, 0));
    expect(alice.channel.bufferedAmount).toBeGreaterThan(4_000_000);
    bob.channel.close();
    expect(alice.channel.readyState).toBe('closed');
    expect(alice.channel.bufferedAmount).toBe(alice.fake.bufferedAmount);
    await drain(alice.fake, bob.fake, random);
    expect(bob.received).toEqual([]);
  });

  it('[R-52] an unordered or unreliable channel cannot carry split messages, so it is a plain pass-through', async () => {
    const random = seededRandom(17);
    const [a, b] = createFakePair();
    a.ordered = false;
    b.ordered = false;
    const alice = wrap(a);
    const bob = wrap(b);
    openPair(a, b);
    expect(() => alice.channel.send(new Uint8Array(CHROMIUM_MAX_MESSAGE_SIZE + 1))).toThrow(TypeError);
    const marked = Uint8Array.from([FRAME_MARKER, 1]);
    alice.channel.send(marked);
    await drain(a, b, random);
    expect(new Uint8Array(a.wire[0] as ArrayBuffer)).toEqual(marked);
    expectSameBytes(bytesOf(bob.received[0]), marked);
  });
});
