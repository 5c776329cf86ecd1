/**
 * An RTCDataChannel look-alike that carries messages of any size (up to a bound) over a real
 * RTCDataChannel whose messages are capped at 256 KiB, y-webrtc #20.
 *
 * It emulates the surface simple-peer 9.11.1 uses (`_setupData`, `send`, `_write`,
 * `bufferSize`, `connected`, `_destroy`): `binaryType`, `readyState`, `bufferedAmount`,
 * `bufferedAmountLowThreshold` (a number, so simple-peer uses events, not its polling
 * fallback), `label`, the `on…` handlers and events, `send` and `close`; and the rest of
 * RTCDataChannel, so other code can use it as one (it `implements RTCDataChannel`).
 *
 * Sending: a message the channel can carry goes out unchanged; a bigger one is split into
 * frames (chunk-framing.ts). Frames wait in our own queue and are handed to the real channel
 * only while its buffer is below a high-water mark, topped up on its `bufferedamountlow`:
 * Chromium throws once 16 MiB are buffered. `bufferedAmount` counts the queue too, so
 * simple-peer's own backpressure (writes wait while it is above 64 KiB) still sees the truth.
 * The queue is FIFO: a small message sent during a big transfer waits behind it, as on a
 * plain ordered channel.
 *
 * Receiving: unframed messages are delivered as they are; frames are joined (bounded memory),
 * and a peer that breaks the format loses that message, reported through `onError`, never the
 * connection.
 */
import { ChunkingError, ChunkingErrorCode, encodeFrames, isFrame, needsFraming, Reassembler } from './chunk-framing.js';

export interface ChunkingOptions {
  /** Largest frame put on the wire, header included. 64 KiB fits every browser's cap. */
  frameSize?: number;
  /** Messages up to this many bytes go out unchanged (further capped by the negotiated max). */
  passthroughLimit?: number;
  /** Largest message sent or accepted; bounds the memory one message can take. */
  maxMessageSize?: number;
  /** Bound on bytes waiting in our queue; beyond it `send` throws, as a full channel does. */
  maxQueuedBytes?: number;
  /**
   * Frames are handed to the real channel while its buffer is below this, and topped up when
   * it drains to the low-water mark. Small is faster between two Chromiums here: 256/64 KiB
   * synced a 9.5 MiB history in about half the time 1 MiB/256 KiB took (BENCHMARKS.md).
   */
  highWaterMark?: number;
  lowWaterMark?: number;
  /**
   * Where problems no caller would otherwise see are reported (default: console.warn): a peer
   * breaking the framing, and messages send() refuses, since y-webrtc swallows send errors.
   */
  onError?: (error: ChunkingError, channel: ChunkedDataChannel) => void;
}

export const CHUNKING_DEFAULTS = {
  frameSize: 64 * 1024,
  passthroughLimit: 256 * 1024,
  maxMessageSize: 64 * 1024 * 1024,
  maxQueuedBytes: 256 * 1024 * 1024,
  highWaterMark: 256 * 1024,
  lowWaterMark: 64 * 1024,
} as const;

type Handler<E extends Event = Event> = ((this: RTCDataChannel, ev: E) => unknown) | null;
type ErrorHandler = ((this: RTCDataChannel, ev: RTCErrorEvent) => unknown) | null;
type Outgoing = string | Blob | Uint8Array<ArrayBuffer>;

const FORWARDED_EVENTS = ['open', 'close', 'closing', 'error'] as const;

function sizeOf(data: Outgoing): number {
  if (typeof data === 'string') return new TextEncoder().encode(data).byteLength;
  return data instanceof Uint8Array ? data.byteLength : data.size;
}

/** Options over the defaults; an option given as `undefined` keeps its default. */
function withDefaults(options: ChunkingOptions): Required<Omit<ChunkingOptions, 'onError'>> & Pick<ChunkingOptions, 'onError'> {
  const defined = Object.fromEntries(Object.entries(options).filter(([, value]) => value !== undefined));
  const merged = { ...CHUNKING_DEFAULTS, ...defined };
  // The first frame announces the length in 32 bits.
  return { ...merged, maxMessageSize: Math.min(merged.maxMessageSize, 0xffffffff) };
}

/** RTCDataChannel.send is overloaded per type, so one call site per type. */
function sendRaw(native: RTCDataChannel, data: Outgoing): void {
  if (typeof data === 'string') native.send(data);
  else if (data instanceof Uint8Array) native.send(data);
  else native.send(data);
}

function asBytes(data: ArrayBuffer | ArrayBufferView): Uint8Array<ArrayBuffer> {
  if (data instanceof ArrayBuffer) return new Uint8Array(data);
  return new Uint8Array(data.buffer as ArrayBuffer, data.byteOffset, data.byteLength);
}

export class ChunkedDataChannel extends EventTarget implements RTCDataChannel {
  readonly #native: RTCDataChannel;
  readonly #options: Required<Omit<ChunkingOptions, 'onError'>> & Pick<ChunkingOptions, 'onError'>;
  /** The max-message-size negotiated with the peer, once known (RTCSctpTransport). */
  readonly #negotiatedMax: () => number | undefined;
  readonly #reassembler: Reassembler;
  /** Chunking needs a reliable, ordered channel; on any other we are a plain pass-through. */
  readonly #chunking: boolean;
  #queue: Outgoing[] = [];
  #queueHead = 0;
  #queuedBytes = 0;
  #threshold = 0;
  #aboveThreshold = false;
  #binaryType: BinaryType;
  #handlers = new Map<string, Handler | ErrorHandler>();

  constructor(native: RTCDataChannel, options: ChunkingOptions = {}, negotiatedMax: () => number | undefined = () => undefined) {
    super();
    this.#native = native;
    this.#options = withDefaults(options);
    this.#negotiatedMax = negotiatedMax;
    this.#reassembler = new Reassembler(this.#options.maxMessageSize);
    this.#chunking = native.ordered && native.maxRetransmits === null && native.maxPacketLifeTime === null;
    // Frames must be read synchronously; the caller's binaryType is applied on delivery.
    this.#binaryType = native.binaryType;
    native.binaryType = 'arraybuffer';
    native.bufferedAmountLowThreshold = 0;
    native.addEventListener('message', (event) => this.#onNativeMessage(event));
    native.addEventListener('bufferedamountlow', () => this.#onNativeBufferedAmountLow());
    for (const type of FORWARDED_EVENTS) native.addEventListener(type, (event) => this.#forward(type, event));
    // `on…` handlers run before listeners added with addEventListener; the DOM orders them by
    // the time each was first set, which no caller of a data channel depends on.
    for (const type of ['message', 'bufferedamountlow', ...FORWARDED_EVENTS]) {
      this.addEventListener(type, (event) => (this.#handlers.get(type) as ((ev: Event) => unknown) | null | undefined)?.call(this, event));
    }
  }

  // Pass-through attributes of the real channel.
  get label(): string { return this.#native.label; }
  get id(): number | null { return this.#native.id; }
  get ordered(): boolean { return this.#native.ordered; }
  get maxPacketLifeTime(): number | null { return this.#native.maxPacketLifeTime; }
  get maxRetransmits(): number | null { return this.#native.maxRetransmits; }
  get protocol(): string { return this.#native.protocol; }
  get negotiated(): boolean { return this.#native.negotiated; }
  get readyState(): RTCDataChannelState { return this.#native.readyState; }

  /** Bytes not yet on the wire: the real channel's buffer plus our queue. */
  get bufferedAmount(): number {
    return this.#native.bufferedAmount + this.#queuedBytes;
  }

  get bufferedAmountLowThreshold(): number {
    return this.#threshold;
  }
  set bufferedAmountLowThreshold(value: number) {
    // WebIDL `unsigned long`: what the real attribute does with odd values.
    this.#threshold = Math.max(0, Math.trunc(Number(value)) || 0);
    this.#updateNativeThreshold();
    this.#checkLow();
  }

  get binaryType(): BinaryType {
    return this.#binaryType;
  }
  set binaryType(value: BinaryType) {
    // Like the real attribute, an unknown value is ignored.
    if (value === 'arraybuffer' || value === 'blob') this.#binaryType = value;
  }

  get onopen(): Handler { return this.#handler('open'); }
  set onopen(fn: Handler) { this.#handlers.set('open', fn); }
  get onclose(): Handler { return this.#handler('close'); }
  set onclose(fn: Handler) { this.#handlers.set('close', fn); }
  get onclosing(): Handler { return this.#handler('closing'); }
  set onclosing(fn: Handler) { this.#handlers.set('closing', fn); }
  get onerror(): ErrorHandler { return (this.#handlers.get('error') ?? null) as ErrorHandler; }
  set onerror(fn: ErrorHandler) { this.#handlers.set('error', fn); }
  get onmessage(): Handler<MessageEvent> { return this.#handler('message') as Handler<MessageEvent>; }
  set onmessage(fn: Handler<MessageEvent>) { this.#handlers.set('message', fn as Handler); }
  get onbufferedamountlow(): Handler { return this.#handler('bufferedamountlow'); }
  set onbufferedamountlow(fn: Handler) { this.#handlers.set('bufferedamountlow', fn); }

  send(data: string): void;
  send(data: Blob): void;
  send(data: ArrayBuffer): void;
  send(data: ArrayBufferView<ArrayBuffer>): void;
  send(data: string | Blob | ArrayBuffer | ArrayBufferView): void {
    if (this.readyState !== 'open') {
      throw new DOMException(`RTCDataChannel.readyState is '${this.readyState}', not 'open'`, 'InvalidStateError');
    }
    const items = this.#prepare(data);
    let bytes = 0;
    for (const item of items) bytes += sizeOf(item);
    if (this.#queuedBytes + bytes > this.#options.maxQueuedBytes) {
      const message = `send queue is full: ${this.#queuedBytes} bytes wait, ${bytes} more would pass the ${this.#options.maxQueuedBytes}-byte bound`;
      throw this.#report(new ChunkingError(ChunkingErrorCode.SEND_QUEUE_FULL, message));
    }
    if (this.#queueHead === this.#queue.length && items.length === 1 && this.#native.bufferedAmount < this.#options.highWaterMark) {
      // Nothing waiting: hand it over now, and let the real channel's errors reach the caller.
      sendRaw(this.#native, items[0]);
    } else {
      this.#queue.push(...items);
      this.#queuedBytes += bytes;
      this.#flush();
    }
    this.#checkLow();
  }

  close(): void {
    // Queued frames die with the channel, as the real channel's buffer does; simple-peer closes
    // the whole connection right after anyway.
    this.#dropQueue();
    this.#native.close();
  }

  /** What to hand the real channel for one message: itself, or its frames. */
  #prepare(data: string | Blob | ArrayBuffer | ArrayBufferView): Outgoing[] {
    const limit = this.#passthroughLimit();
    if (typeof data === 'string') {
      // Cheap test first: no UTF-16 code unit takes more than 3 bytes in UTF-8.
      if (!this.#chunking || data.length * 3 <= limit) return [data];
      const bytes = new TextEncoder().encode(data);
      if (bytes.byteLength <= limit) return [data];
      this.#checkMessageSize(bytes.byteLength);
      return encodeFrames(bytes, 'text', this.#frameSize(limit));
    }
    if (typeof Blob !== 'undefined' && data instanceof Blob) {
      // A Blob's bytes are only available asynchronously, so it is never split: the real
      // channel accepts or refuses it as before.
      return [data];
    }
    const bytes = asBytes(data as ArrayBuffer | ArrayBufferView);
    if (!this.#chunking || !needsFraming(bytes, limit)) {
      // A copy, because the caller may reuse its buffer once send() returns (the real channel
      // copies too) and this one may wait in our queue.
      return [bytes.slice()];
    }
    this.#checkMessageSize(bytes.byteLength);
    return encodeFrames(bytes, 'binary', this.#frameSize(limit));
  }

  #checkMessageSize(bytes: number): void {
    if (bytes > this.#options.maxMessageSize) {
      throw this.#report(
        new ChunkingError(ChunkingErrorCode.MESSAGE_TOO_LARGE, `message of ${bytes} bytes is over the ${this.#options.maxMessageSize}-byte limit`),
      );
    }
  }

  /** Anything the real channel accepts in one message passes unchanged, so stock peers still understand it. */
  #passthroughLimit(): number {
    const negotiated = this.#negotiatedMax();
    const usable = typeof negotiated === 'number' && negotiated > 0 ? negotiated : Infinity;
    return Math.min(this.#options.passthroughLimit, usable);
  }

  #frameSize(limit: number): number {
    return Math.min(this.#options.frameSize, limit);
  }

  /** Moves queued frames to the real channel while its buffer has room. */
  #flush(): void {
    const native = this.#native;
    try {
      while (this.#queueHead < this.#queue.length && native.bufferedAmount < this.#options.highWaterMark) {
        const item = this.#queue[this.#queueHead];
        sendRaw(native, item);
        this.#queue[this.#queueHead++] = '';
        this.#queuedBytes -= sizeOf(item);
      }
    } catch (err) {
      this.#failSend(err);
      return;
    } finally {
      if (this.#queueHead === this.#queue.length) {
        this.#queue = [];
        this.#queueHead = 0;
      } else if (this.#queueHead > 1024) {
        this.#queue = this.#queue.slice(this.#queueHead);
        this.#queueHead = 0;
      }
    }
    this.#updateNativeThreshold();
  }

  /**
   * The real channel refused a frame although it was open and had room: the rest of a split
   * message can no longer arrive whole. Fail the channel as a broken real one fails (`error`,
   * then `close`; simple-peer destroys the connection and y-webrtc reconnects and resyncs)
   * rather than leave the peer silently out of sync, which is the bug this module exists for.
   */
  #failSend(err: unknown): void {
    this.#dropQueue();
    if (this.#native.readyState !== 'open') return; // closing: its close event tells the story
    const error = err instanceof Error ? err : new Error(String(err));
    queueMicrotask(() => {
      this.dispatchEvent(Object.assign(new Event('error'), { error }) as RTCErrorEvent);
      this.#native.close();
    });
  }

  #dropQueue(): void {
    this.#queue = [];
    this.#queueHead = 0;
    this.#queuedBytes = 0;
  }

  /**
   * While frames wait, wake up at our low-water mark to top up the real channel; once none
   * wait, the real channel's own event at the caller's threshold is the one to pass on.
   */
  #updateNativeThreshold(): void {
    const waiting = this.#queueHead < this.#queue.length;
    this.#native.bufferedAmountLowThreshold = waiting ? this.#options.lowWaterMark : this.#threshold;
  }

  #onNativeBufferedAmountLow(): void {
    this.#flush();
    this.#checkLow();
  }

  /** Fires our `bufferedamountlow` when our total drops from above the threshold to at or below it. */
  #checkLow(): void {
    const amount = this.bufferedAmount;
    if (amount > this.#threshold) {
      this.#aboveThreshold = true;
    } else if (this.#aboveThreshold) {
      this.#aboveThreshold = false;
      this.dispatchEvent(new Event('bufferedamountlow'));
    }
  }

  #onNativeMessage(event: MessageEvent): void {
    const data: unknown = event.data;
    if (this.#chunking && data instanceof ArrayBuffer && isFrame(new Uint8Array(data))) {
      const step = this.#reassembler.push(new Uint8Array(data));
      if (step.error) this.#report(step.error);
      if (step.message !== undefined) this.#deliver(step.message);
      return;
    }
    if (this.#reassembler.pending) {
      const error = this.#reassembler.interrupt('an unframed message arrived in the middle of it');
      if (error) this.#report(error);
    }
    this.#deliver(data);
  }

  #deliver(data: unknown): void {
    const payload = data instanceof ArrayBuffer && this.#binaryType === 'blob' ? new Blob([data]) : data;
    this.dispatchEvent(new MessageEvent('message', { data: payload }));
  }

  #forward(type: (typeof FORWARDED_EVENTS)[number], event: Event): void {
    if (type === 'close') {
      this.#dropQueue();
      // A message cut off by the connection closing is not the peer's fault: drop it quietly.
      this.#reassembler.interrupt('channel closed');
    }
    const copy = new Event(type);
    if (type === 'error') Object.assign(copy, { error: (event as RTCErrorEvent).error });
    this.dispatchEvent(copy);
  }

  /** Reports the error and returns it (for `throw this.#report(…)`). */
  #report(error: ChunkingError): ChunkingError {
    if (this.#options.onError) this.#options.onError(error, this);
    else console.warn(`[chunked-channel ${this.label}] ${error.code}: ${error.message}`);
    return error;
  }

  #handler(type: string): Handler {
    return (this.#handlers.get(type) ?? null) as Handler;
  }
}
