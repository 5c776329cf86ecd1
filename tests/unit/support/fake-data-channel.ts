/**
 * An in-memory RTCDataChannel pair that behaves like Chromium's where it matters for chunking
 * `send` throws a TypeError above the max message size (256 KiB) and an OperationError
 * once 16 MiB are buffered; `bufferedAmount` grows on `send` and shrinks as the link moves
 * bytes; `bufferedamountlow` fires when it drops from above the threshold to at or below it.
 * The test decides when and how many bytes cross the link (`transmit`, or `drain` with a seeded
 * random budget per step), like yjs's TestConnector decides the message order.
 */

export const CHROMIUM_MAX_MESSAGE_SIZE = 256 * 1024;
export const CHROMIUM_SEND_BUFFER = 16 * 1024 * 1024;

type Wire = string | ArrayBuffer;

export class FakeDataChannel extends EventTarget {
  label: string;
  id: number | null = 1;
  ordered = true;
  maxRetransmits: number | null = null;
  maxPacketLifeTime: number | null = null;
  protocol = '';
  negotiated = false;
  readyState: RTCDataChannelState = 'connecting';
  binaryType: BinaryType = 'arraybuffer';
  bufferedAmount = 0;
  bufferedAmountLowThreshold = 0;
  maxMessageSize = CHROMIUM_MAX_MESSAGE_SIZE;
  sendBufferLimit = CHROMIUM_SEND_BUFFER;
  remote: FakeDataChannel | null = null;
  /** Sent, not yet delivered. */
  readonly outbox: { data: Wire; size: number }[] = [];
  /** Every message this end put on the wire, as sent (what a stock peer would receive). */
  readonly wire: Wire[] = [];
  /** Largest `bufferedAmount` ever reached. */
  peakBufferedAmount = 0;
  /** Test hook: make `send` throw for the n-th call (1-based) while open. */
  failOnSend = 0;
  #sends = 0;

  constructor(label = 'test') {
    super();
    this.label = label;
  }

  send(data: string | Blob | ArrayBuffer | ArrayBufferView): void {
    if (this.readyState !== 'open') throw new DOMException('not open', 'InvalidStateError');
    if (++this.#sends === this.failOnSend) throw new DOMException('injected failure', 'OperationError');
    let wire: Wire;
    let size: number;
    if (typeof data === 'string') {
      wire = data;
      size = new TextEncoder().encode(data).byteLength;
    } else if (data instanceof ArrayBuffer || ArrayBuffer.isView(data)) {
      const view = data instanceof ArrayBuffer ? new Uint8Array(data) : new Uint8Array(data.buffer, data.byteOffset, data.byteLength);
      wire = view.slice().buffer;
      size = view.byteLength;
    } else {
      throw new TypeError('the fake does not send Blobs');
    }
    if (size > this.maxMessageSize) throw new TypeError('Trying to send message larger than max-message-size');
    if (this.bufferedAmount + size > this.sendBufferLimit) throw new DOMException('RTCDataChannel send queue is full', 'OperationError');
    this.wire.push(wire);
    this.outbox.push({ data: wire, size });
    this.bufferedAmount += size;
    this.peakBufferedAmount = Math.max(this.peakBufferedAmount, this.bufferedAmount);
  }

  close(): void {
    for (const end of [this, this.remote]) {
      if (!end || end.readyState === 'closed') continue;
      end.readyState = 'closed';
      end.outbox.length = 0; // what was in flight is lost with the connection
      end.dispatchEvent(new Event('close'));
    }
  }

  /** Moves whole messages to the remote end, at least one and then up to `budget` bytes. */
  transmit(budget = Infinity): number {
    let moved = 0;
    while (this.outbox.length > 0 && (moved === 0 || moved + this.outbox[0].size <= budget)) {
      const { data, size } = this.outbox.shift()!;
      moved += size;
      const before = this.bufferedAmount;
      this.bufferedAmount -= size;
      if (before > this.bufferedAmountLowThreshold && this.bufferedAmount <= this.bufferedAmountLowThreshold) {
        this.dispatchEvent(new Event('bufferedamountlow'));
      }
      this.remote?.receive(data);
    }
    return moved;
  }

  /** Test hook: the peer sends these raw bytes (a well-behaved or a hostile peer). */
  receive(data: Wire): void {
    const payload = data instanceof ArrayBuffer && this.binaryType === 'blob' ? new Blob([data]) : data;
    this.dispatchEvent(new MessageEvent('message', { data: payload }));
  }

  fail(error: Error): void {
    this.dispatchEvent(Object.assign(new Event('error'), { error }));
  }
}

export function createFakePair(): [FakeDataChannel, FakeDataChannel] {
  const a = new FakeDataChannel();
  const b = new FakeDataChannel();
  a.remote = b;
  b.remote = a;
  return [a, b];
}

export function openPair(a: FakeDataChannel, b: FakeDataChannel): void {
  for (const end of [a, b]) {
    end.readyState = 'open';
    end.dispatchEvent(new Event('open'));
  }
}

/** mulberry32: a small seeded PRNG, so a failing random case can be replayed. */
export function seededRandom(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/**
 * Runs the link both ways until nothing is in flight, moving a random budget (up to
 * `maxStep` bytes) per step and yielding to the event loop between steps, as a real network
 * delivers in bursts.
 */
export async function drain(a: FakeDataChannel, b: FakeDataChannel, random: () => number, maxStep = 512 * 1024): Promise<void> {
  for (let steps = 0; a.outbox.length > 0 || b.outbox.length > 0; steps++) {
    if (steps > 1_000_000) throw new Error('link did not drain');
    a.transmit(Math.floor(random() * maxStep));
    b.transmit(Math.floor(random() * maxStep));
    if (steps % 16 === 0) await Promise.resolve();
  }
  // Microtasks the channels queued (error events) run before the caller looks.
  await new Promise((resolve) => setTimeout(resolve, 0));
}

export function randomBytes(length: number, random: () => number, firstByte?: number): Uint8Array<ArrayBuffer> {
  const bytes = new Uint8Array(length);
  for (let i = 0; i < length; i += 4) {
    const word = (random() * 4294967296) >>> 0;
    bytes[i] = word;
    if (i + 1 < length) bytes[i + 1] = word >>> 8;
    if (i + 2 < length) bytes[i + 2] = word >>> 16;
    if (i + 3 < length) bytes[i + 3] = word >>> 24;
  }
  if (firstByte !== undefined && length > 0) bytes[0] = firstByte;
  return bytes;
}
