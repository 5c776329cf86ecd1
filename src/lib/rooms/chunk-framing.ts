/**
 * Wire format for messages larger than an RTCDataChannel can carry.
 *
 * Chromium caps one data-channel message at 256 KiB (the negotiated `max-message-size`), and
 * y-webrtc sends a whole document state as one message, swallowing the error: a late joiner of
 * a big room silently gets nothing (y-webrtc #20). `chunked-channel.ts` splits such messages
 * into frames of this format and joins them again on the other side.
 *
 * A message the channel can carry as it is goes out unchanged, so a stock y-webrtc peer still
 * understands everything it ever could. A frame starts with FRAME_MARKER, a byte no y-webrtc
 * message starts with: those begin with a lib0 varUint message type, 0 (sync), 1 (awareness),
 * 3 (query awareness) or 4 (BroadcastChannel peer id), each one byte below 0x80. A small binary
 * message that happens to start with the marker is sent as one `Whole` frame, so the format is
 * transparent for any payload, not only y-webrtc's.
 *
 *   Whole:  MARKER 0x00 payload                  a complete message that needed escaping
 *   First:  MARKER 0x01|0x02 u32be(total) bytes  start of a split binary (01) or text (02) message
 *   Next:   MARKER 0x03 bytes                    continuation, until `total` bytes have arrived
 *
 * No sequence numbers or message ids: frames travel on one reliable, ordered channel (the
 * default simple-peer asks for), and the sender never interleaves two messages.
 */

export const FRAME_MARKER = 0xf5;

export const FrameKind = {
  Whole: 0x00,
  FirstBinary: 0x01,
  FirstText: 0x02,
  Next: 0x03,
} as const;

export const FIRST_HEADER_BYTES = 6;
export const NEXT_HEADER_BYTES = 2;

export const ChunkingErrorCode = {
  /** A message above the configured bound, sent by us or announced by the peer. */
  MESSAGE_TOO_LARGE: 'MESSAGE_TOO_LARGE',
  /** Our own send queue is over its bound (the peer does not read fast enough). */
  SEND_QUEUE_FULL: 'SEND_QUEUE_FULL',
  /** A frame with an unknown kind or a truncated header. */
  MALFORMED_FRAME: 'MALFORMED_FRAME',
  /** A continuation frame with no message started. */
  UNEXPECTED_CHUNK: 'UNEXPECTED_CHUNK',
  /** A new message began before the previous split one was complete. */
  INCOMPLETE_MESSAGE: 'INCOMPLETE_MESSAGE',
  /** More bytes arrived than the first frame announced. */
  LENGTH_MISMATCH: 'LENGTH_MISMATCH',
  /** No RTCPeerConnection to wrap (Node without a `base`, or a browser without WebRTC). */
  NO_WEBRTC: 'NO_WEBRTC',
} as const;
export type ChunkingErrorCode = (typeof ChunkingErrorCode)[keyof typeof ChunkingErrorCode];

export class ChunkingError extends Error {
  override readonly name = 'ChunkingError';
  constructor(
    readonly code: ChunkingErrorCode,
    message: string,
  ) {
    super(message);
  }
}

/** True when `bytes` cannot go out as it is: too big for one message, or it looks like a frame. */
export function needsFraming(bytes: Uint8Array, passthroughLimit: number): boolean {
  return bytes.byteLength > passthroughLimit || (bytes.byteLength > 0 && bytes[0] === FRAME_MARKER);
}

/** True when a received binary message is one of our frames. */
export function isFrame(bytes: Uint8Array): boolean {
  return bytes.byteLength > 0 && bytes[0] === FRAME_MARKER;
}

/**
 * Frames for one message, none larger than `frameSize` bytes. The frames are fresh copies, so
 * the caller may reuse `bytes` at once (RTCDataChannel.send copies too).
 */
export function encodeFrames(bytes: Uint8Array, type: 'binary' | 'text', frameSize: number): Uint8Array<ArrayBuffer>[] {
  if (frameSize <= FIRST_HEADER_BYTES) throw new RangeError(`frameSize ${frameSize} leaves no room for data`);
  if (bytes.byteLength > 0xffffffff) throw new RangeError('a message over 4 GiB cannot be framed (32-bit length)');
  if (type === 'binary' && bytes.byteLength + NEXT_HEADER_BYTES <= frameSize) {
    const whole = new Uint8Array(bytes.byteLength + NEXT_HEADER_BYTES);
    whole[0] = FRAME_MARKER;
    whole[1] = FrameKind.Whole;
    whole.set(bytes, NEXT_HEADER_BYTES);
    return [whole];
  }
  const frames: Uint8Array<ArrayBuffer>[] = [];
  const firstData = Math.min(bytes.byteLength, frameSize - FIRST_HEADER_BYTES);
  const first = new Uint8Array(FIRST_HEADER_BYTES + firstData);
  first[0] = FRAME_MARKER;
  first[1] = type === 'text' ? FrameKind.FirstText : FrameKind.FirstBinary;
  new DataView(first.buffer).setUint32(2, bytes.byteLength);
  first.set(bytes.subarray(0, firstData), FIRST_HEADER_BYTES);
  frames.push(first);
  for (let offset = firstData; offset < bytes.byteLength; offset += frameSize - NEXT_HEADER_BYTES) {
    const part = bytes.subarray(offset, offset + frameSize - NEXT_HEADER_BYTES);
    const next = new Uint8Array(NEXT_HEADER_BYTES + part.byteLength);
    next[0] = FRAME_MARKER;
    next[1] = FrameKind.Next;
    next.set(part, NEXT_HEADER_BYTES);
    frames.push(next);
  }
  return frames;
}

/** What one received frame produced: a complete message, an error, both, or neither yet. */
export interface ReassemblyStep {
  message?: ArrayBuffer | string;
  error?: ChunkingError;
}

/**
 * Joins frames back into messages. Memory is bounded by `maxMessageSize`: the buffer for a split
 * message is allocated once, from the length its first frame announces, and only if that
 * length is within the bound. A peer that breaks the format costs it the message in progress,
 * never the channel: the error is returned and the frames of the bad message are skipped up to
 * the next first frame.
 */
export class Reassembler {
  #buffer: Uint8Array | null = null;
  #received = 0;
  #text = false;
  /** Skipping the continuation frames of a message we refused. */
  #discarding = false;
  readonly #maxMessageSize: number;

  constructor(maxMessageSize: number) {
    this.#maxMessageSize = maxMessageSize;
  }

  /** True while a split message is partly received. */
  get pending(): boolean {
    return this.#buffer !== null;
  }

  /**
   * An unframed message arrived, or the channel closed: drop any message in progress. Returns
   * the error to report when the peer broke off a message it had started (null when idle).
   */
  interrupt(reason: string): ChunkingError | null {
    const wasPending = this.#buffer !== null;
    this.#reset();
    // Frames of the broken-off message may still follow: skip them up to the next message.
    this.#discarding = wasPending;
    return wasPending ? new ChunkingError(ChunkingErrorCode.INCOMPLETE_MESSAGE, `split message dropped: ${reason}`) : null;
  }

  /** Feeds one frame (a binary message whose first byte is FRAME_MARKER). */
  push(frame: Uint8Array): ReassemblyStep {
    if (frame.byteLength < NEXT_HEADER_BYTES) return this.#fail(ChunkingErrorCode.MALFORMED_FRAME, 'frame shorter than its header');
    const kind = frame[1];
    switch (kind) {
      case FrameKind.Whole: {
        const error = this.interrupt('a new message began before it was complete') ?? undefined;
        return { message: copyToArrayBuffer(frame.subarray(NEXT_HEADER_BYTES)), error };
      }
      case FrameKind.FirstBinary:
      case FrameKind.FirstText:
        return this.#first(frame, kind === FrameKind.FirstText);
      case FrameKind.Next:
        return this.#next(frame);
      default:
        return this.#fail(ChunkingErrorCode.MALFORMED_FRAME, `unknown frame kind 0x${kind.toString(16)}`);
    }
  }

  #first(frame: Uint8Array, text: boolean): ReassemblyStep {
    const error = this.interrupt('a new message began before it was complete') ?? undefined;
    this.#discarding = false;
    if (frame.byteLength < FIRST_HEADER_BYTES) return this.#fail(ChunkingErrorCode.MALFORMED_FRAME, 'first frame shorter than its header');
    const total = new DataView(frame.buffer, frame.byteOffset, frame.byteLength).getUint32(2);
    if (total > this.#maxMessageSize) {
      this.#discarding = true;
      return {
        error: new ChunkingError(
          ChunkingErrorCode.MESSAGE_TOO_LARGE,
          `peer announced a ${total}-byte message; the limit is ${this.#maxMessageSize} bytes`,
        ),
      };
    }
    this.#buffer = new Uint8Array(total);
    this.#text = text;
    this.#received = 0;
    const step = this.#append(frame.subarray(FIRST_HEADER_BYTES));
    return error ? { ...step, error: step.error ?? error } : step;
  }

  #next(frame: Uint8Array): ReassemblyStep {
    if (this.#discarding) return {};
    if (this.#buffer === null) return this.#fail(ChunkingErrorCode.UNEXPECTED_CHUNK, 'continuation frame without a first frame');
    return this.#append(frame.subarray(NEXT_HEADER_BYTES));
  }

  #append(data: Uint8Array): ReassemblyStep {
    const buffer = this.#buffer!;
    if (this.#received + data.byteLength > buffer.byteLength) {
      const total = buffer.byteLength;
      return this.#fail(ChunkingErrorCode.LENGTH_MISMATCH, `more than the announced ${total} bytes arrived`);
    }
    buffer.set(data, this.#received);
    this.#received += data.byteLength;
    if (this.#received < buffer.byteLength) return {};
    const text = this.#text;
    this.#reset();
    return { message: text ? new TextDecoder().decode(buffer) : buffer.buffer as ArrayBuffer };
  }

  /** Drops the message in progress and skips its remaining frames. */
  #fail(code: ChunkingErrorCode, message: string): ReassemblyStep {
    this.#reset();
    this.#discarding = true;
    return { error: new ChunkingError(code, message) };
  }

  #reset(): void {
    this.#buffer = null;
    this.#received = 0;
    this.#text = false;
    this.#discarding = false;
  }
}

function copyToArrayBuffer(bytes: Uint8Array): ArrayBuffer {
  return bytes.slice().buffer as ArrayBuffer;
}
