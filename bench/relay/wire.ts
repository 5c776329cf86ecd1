/**
 * A minimal WebSocket client over `net`, made for the relay benchmark, where the load
 * generator shares a 2-core machine with the server and must stay far cheaper than it:
 *
 * - the HTTP upgrade is written by hand (fixed key, accept value checked);
 * - outgoing frames are prebuilt once per client and masked with the all-zero key (legal, and
 *   masking becomes a no-op), so sending is one socket.write of an existing Buffer;
 * - incoming bytes land in one shared, reused read buffer (`onread`), no Buffer per read;
 * - frames are counted by walking their headers; payloads are never decoded. A publish echo is
 *   recognised by its length, and "my own message came back" by one marker byte at a fixed
 *   offset (the sender's position in its room), which both servers keep in place because they
 *   re-emit the publisher's JSON with only `"clients":N` appended.
 */
import { connect, type Socket } from 'node:net';
import type { Counters } from './messages.js';
import { nowUs, readStamp, recordLatency, STAMP_DIGITS, writeStamp } from './latency.js';

/** RFC 6455 sample key; servers only hash it, so a fixed one is fine. */
const WS_KEY = 'dGhlIHNhbXBsZSBub25jZQ==';
const WS_ACCEPT = 's3pPLMBiTxaQ9kYGzzhZRbK+xOo=';

const OP_TEXT = 0x1;
const OP_CLOSE = 0x8;
const OP_PING = 0x9;

/** `{"type":"pong"}`: the reply to our ping, which tells us our subscribe was processed. */
const PONG_TEXT_LENGTH = 15;

/** A client→server frame: FIN, `opcode`, masked with key 0 so the payload is sent as is. */
export function maskedFrame(payload: Buffer, opcode = OP_TEXT): Buffer {
  const length = payload.length;
  const extended = length < 126 ? 0 : length < 65536 ? 2 : 8;
  const frame = Buffer.alloc(2 + extended + 4 + length); // zero-filled: the mask key is 0,0,0,0
  frame[0] = 0x80 | opcode;
  if (extended === 0) {
    frame[1] = 0x80 | length;
  } else if (extended === 2) {
    frame[1] = 0x80 | 126;
    frame.writeUInt16BE(length, 2);
  } else {
    frame[1] = 0x80 | 127;
    frame.writeBigUInt64BE(BigInt(length), 2);
  }
  payload.copy(frame, 2 + extended + 4);
  return frame;
}

function frameHeaderBytes(payloadLength: number): number {
  return 2 + (payloadLength < 126 ? 0 : payloadLength < 65536 ? 2 : 8) + 4;
}

export interface PublishLayout {
  /** The whole client→server frame. */
  frame: Buffer;
  /** Payload length of the frame every subscriber receives (ours and stock append `,"clients":N`). */
  echoLength: number;
  /** Offset in the received payload of the byte that says which room member sent it. */
  markerOffset: number;
  /** Offset in `frame` of the payload (after header and the all-zero mask). */
  payloadOffset: number;
}

/**
 * `{"type":"publish","topic":"<topic>","data":"<marker>xxx…"}` padded so the frame is
 * `frameBytes` long. Topics of one run all have the same length, so the marker offset is fixed.
 */
export function publishLayout(topic: string, marker: number, roomSize: number, frameBytes: number): PublishLayout {
  const head = `{"type":"publish","topic":${JSON.stringify(topic)},"data":"`;
  const tail = '"}';
  let payloadLength = frameBytes - frameHeaderBytes(frameBytes);
  if (payloadLength + frameHeaderBytes(payloadLength) !== frameBytes) payloadLength = frameBytes - frameHeaderBytes(payloadLength);
  const padding = payloadLength - head.length - tail.length - 1;
  if (padding < 0) throw new Error(`frameBytes ${frameBytes} is too small for topic "${topic}"`);
  const payload = Buffer.from(head + String.fromCharCode(marker) + 'x'.repeat(padding) + tail, 'latin1');
  return {
    frame: maskedFrame(payload),
    echoLength: payload.length + `,"clients":${roomSize}`.length,
    markerOffset: head.length,
    payloadOffset: frameHeaderBytes(payload.length),
  };
}

export function newCounters(): Counters {
  return { delivered: 0, ownEchoes: 0, sent: 0, otherFrames: 0, pingsAnswered: 0, reads: 0, lost: 0, firstProblem: null };
}

/** Shared by every client of the process: summing per client would cost a loop per snapshot. */
export const counters: Counters = newCounters();

function problem(text: string): void {
  counters.firstProblem ??= text;
}

/** Every socket reads into this one buffer; its bytes are consumed before the callback returns. */
const READ_BUFFER = Buffer.allocUnsafe(256 * 1024);

export interface ClientOptions {
  port: number;
  topic: string;
  /** This client's position in its room: the marker byte of its messages ('A' + index). */
  marker: number;
  roomSize: number;
  frameBytes: number;
  window: number;
  /**
   * The `clients` count the relay appends to frames this client receives: the room size on one
   * relay; with several relays on Redis, the room's members on this client's relay.
   */
  echoClients?: number;
  /** Publishes carry their send time after the marker, and every delivery's latency is recorded (latency.ts). */
  stamped?: boolean;
  handshakeTimeoutMs: number;
  /** Called once: true when subscribed (pong received), false with a reason otherwise. */
  onSettled: (ok: boolean, error: string | null) => void;
}

export class RawClient {
  /** Messages of ours not yet echoed back. */
  outstanding = 0;
  /** Whether an own echo triggers the next publish (load phase). */
  static sending = false;

  readonly #options: ClientOptions;
  readonly #socket: Socket;
  /** `window` publish frames back to back, so k replies are one write of k frames. */
  readonly #burst: Buffer;
  readonly #frameLength: number;
  readonly #echoLength: number;
  readonly #markerOffset: number;
  /** Where a send stamp goes in an outgoing frame. */
  readonly #stampOffset: number;
  /** The stamp of the frame being received (stamped mode only). */
  readonly #stamp: Buffer | null;
  /** Payload bytes before the stamp still to skip, and stamp bytes still to copy. */
  #stampSkip = 0;
  #stampLeft = 0;
  /** Time of the current socket read, for the latency of every frame in it. */
  static #readAtUs = 0;

  #phase: 'handshake' | 'subscribing' | 'ready' | 'closed' = 'handshake';
  #settled = false;
  #closing = false;
  #timer: NodeJS.Timeout | null;
  /** Handshake response bytes until the blank line. */
  #httpHead: Buffer | null = null;

  // Frame walker state.
  /** Header bytes that straddled two reads. */
  #carry: Buffer | null = null;
  /** Payload bytes of the current frame still to come; -1 between frames. */
  #remaining = -1;
  #opcode = 0;
  #length = 0;
  /** Bytes until the marker byte in the current frame's payload; -1 when not watching. */
  #watch = -1;
  #own = false;
  /** Payload of a control frame (ping) being collected. */
  #control: Buffer | null = null;
  #controlFill = 0;
  /** Own echoes in the current read, answered with one write after it. */
  #echoesThisRead = 0;

  constructor(options: ClientOptions) {
    this.#options = options;
    const layout = publishLayout(options.topic, options.marker, options.echoClients ?? options.roomSize, options.frameBytes);
    this.#frameLength = layout.frame.length;
    this.#echoLength = layout.echoLength;
    this.#markerOffset = layout.markerOffset;
    this.#stampOffset = layout.payloadOffset + layout.markerOffset + 1;
    this.#stamp = options.stamped ? Buffer.alloc(STAMP_DIGITS) : null;
    if (options.stamped && layout.frame.length - this.#stampOffset < STAMP_DIGITS + 2) {
      throw new Error(`frameBytes ${options.frameBytes} leaves no room for a send stamp`);
    }
    this.#burst = Buffer.concat(Array.from({ length: Math.max(1, options.window) }, () => layout.frame));
    this.#timer = setTimeout(() => this.#fail('handshake timed out'), options.handshakeTimeoutMs);
    this.#socket = connect({
      port: options.port,
      host: '127.0.0.1',
      noDelay: true,
      onread: { buffer: READ_BUFFER, callback: (n, buf) => this.#onRead(buf as Buffer, n) },
    });
    this.#socket.on('connect', () => {
      this.#socket.write(
        `GET / HTTP/1.1\r\nHost: 127.0.0.1:${options.port}\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n` +
          `Sec-WebSocket-Key: ${WS_KEY}\r\nSec-WebSocket-Version: 13\r\n\r\n`,
      );
    });
    this.#socket.on('error', (err) => this.#fail(`socket error: ${err.message}`));
    this.#socket.on('close', () => this.#fail('connection closed'));
  }

  /** Sends `count` publishes (count ≤ window in steady state). */
  publish(count: number): void {
    const window = this.#burst.length / this.#frameLength;
    while (count > 0) {
      const n = Math.min(count, window);
      this.#socket.write(n === window ? this.#burst : this.#burst.subarray(0, n * this.#frameLength));
      this.outstanding += n;
      counters.sent += n;
      count -= n;
    }
  }

  /** Sends one publish stamped with the current time (a fresh Buffer: the socket may still hold earlier ones). */
  publishStamped(): void {
    if (this.#phase !== 'ready') return;
    const frame = Buffer.from(this.#burst.subarray(0, this.#frameLength));
    writeStamp(frame, this.#stampOffset, nowUs());
    this.#socket.write(frame);
    counters.sent++;
  }

  get ready(): boolean {
    return this.#phase === 'ready';
  }

  close(): void {
    this.#closing = true;
    this.#phase = 'closed';
    if (this.#timer) clearTimeout(this.#timer);
    this.#socket.destroy();
  }

  #settle(ok: boolean, error: string | null): void {
    if (this.#settled) return;
    this.#settled = true;
    if (this.#timer) clearTimeout(this.#timer);
    this.#timer = null;
    this.#options.onSettled(ok, error);
  }

  #fail(reason: string): void {
    if (this.#closing) return;
    if (!this.#settled) {
      this.#closing = true;
      this.#phase = 'closed';
      this.#socket.destroy();
      this.#settle(false, reason);
      return;
    }
    if (this.#phase === 'ready') {
      this.#phase = 'closed';
      counters.lost++;
      problem(`connection lost: ${reason}`);
    }
  }

  #onRead(buf: Buffer, end: number): boolean {
    counters.reads++;
    if (this.#phase === 'closed') return true;
    if (this.#stamp) RawClient.#readAtUs = nowUs();
    let start = 0;
    if (this.#phase === 'handshake') {
      start = this.#readHandshake(buf, end);
      if (start < 0) return true;
    }
    this.#walk(buf, start, end);
    if (this.#echoesThisRead > 0) {
      const k = this.#echoesThisRead;
      this.#echoesThisRead = 0;
      this.outstanding -= k;
      if (RawClient.sending) this.publish(k);
    }
    return true;
  }

  /** Returns where frame data starts in `buf`, or -1 while the response is incomplete. */
  #readHandshake(buf: Buffer, end: number): number {
    const previous = this.#httpHead ? this.#httpHead.length : 0;
    const head = this.#httpHead ? Buffer.concat([this.#httpHead, buf.subarray(0, end)]) : Buffer.from(buf.subarray(0, end));
    const blank = head.indexOf('\r\n\r\n');
    if (blank < 0) {
      if (head.length > 8192) this.#fail('handshake response too long');
      else this.#httpHead = head;
      return -1;
    }
    this.#httpHead = null;
    const text = head.toString('latin1', 0, blank);
    if (!text.startsWith('HTTP/1.1 101')) {
      this.#fail(`upgrade refused: ${text.split('\r\n')[0]}`);
      return -1;
    }
    if (!text.includes(WS_ACCEPT)) {
      this.#fail('bad Sec-WebSocket-Accept');
      return -1;
    }
    this.#phase = 'subscribing';
    const payload = JSON.stringify({ type: 'subscribe', topics: [this.#options.topic] });
    this.#socket.write(Buffer.concat([maskedFrame(Buffer.from(payload)), maskedFrame(Buffer.from('{"type":"ping"}'))]));
    return blank + 4 - previous;
  }

  /** Walks frame headers in buf[i, end), skipping payloads except for the marker byte and pings. */
  #walk(buf: Buffer, i: number, end: number): void {
    while (i < end) {
      const remaining = this.#remaining;
      if (remaining > 0) {
        const take = remaining < end - i ? remaining : end - i;
        const watch = this.#watch;
        if (watch >= 0) {
          if (watch < take) {
            this.#own = buf[i + watch] === this.#options.marker;
            this.#watch = -1;
          } else {
            this.#watch = watch - take;
          }
        }
        if (this.#stampLeft > 0) this.#copyStamp(buf, i, take);
        if (this.#control) {
          buf.copy(this.#control, this.#controlFill, i, i + take);
          this.#controlFill += take;
        }
        this.#remaining = remaining - take;
        i += take;
        if (this.#remaining === 0) this.#endFrame();
        continue;
      }
      // A frame header: 2 bytes, +2 or +8 of extended length; server frames are never masked.
      let bytes = buf;
      let p = i;
      let available = end - i;
      const carry = this.#carry;
      if (carry) {
        bytes = Buffer.concat([carry, buf.subarray(i, Math.min(end, i + 10))]);
        p = 0;
        available = bytes.length;
      }
      if (available < 2) {
        this.#carry = Buffer.from(bytes.subarray(p, p + available));
        return;
      }
      const b0 = bytes[p];
      const b1 = bytes[p + 1];
      let length = b1 & 0x7f;
      let headerLength = 2;
      if (length === 126) {
        headerLength = 4;
        if (available < 4) {
          this.#carry = Buffer.from(bytes.subarray(p, p + available));
          return;
        }
        length = bytes.readUInt16BE(p + 2);
      } else if (length === 127) {
        headerLength = 10;
        if (available < 10) {
          this.#carry = Buffer.from(bytes.subarray(p, p + available));
          return;
        }
        length = Number(bytes.readBigUInt64BE(p + 2));
      }
      if (b1 & 0x80) {
        problem('server sent a masked frame');
        this.#fail('protocol error');
        return;
      }
      if (carry) {
        i += headerLength - carry.length;
        this.#carry = null;
      } else {
        i += headerLength;
      }
      this.#beginFrame(b0 & 0x0f, length);
    }
  }

  /** Copies the part of the send stamp that lies in buf[i, i + take) (it may straddle reads). */
  #copyStamp(buf: Buffer, i: number, take: number): void {
    const skip = this.#stampSkip;
    if (skip >= take) {
      this.#stampSkip = skip - take;
      return;
    }
    this.#stampSkip = 0;
    const n = Math.min(take - skip, this.#stampLeft);
    buf.copy(this.#stamp!, STAMP_DIGITS - this.#stampLeft, i + skip, i + skip + n);
    this.#stampLeft -= n;
  }

  #beginFrame(opcode: number, length: number): void {
    this.#opcode = opcode;
    this.#length = length;
    this.#remaining = length;
    this.#own = false;
    this.#watch = opcode === OP_TEXT && length === this.#echoLength ? this.#markerOffset : -1;
    if (this.#stamp && this.#watch >= 0) {
      this.#stampSkip = this.#markerOffset + 1;
      this.#stampLeft = STAMP_DIGITS;
    } else {
      this.#stampLeft = 0;
    }
    if (opcode >= 0x8) {
      this.#control = Buffer.alloc(length);
      this.#controlFill = 0;
    }
    if (length === 0) this.#endFrame();
  }

  #endFrame(): void {
    this.#remaining = -1;
    const opcode = this.#opcode;
    if (opcode === OP_TEXT) {
      if (this.#length === this.#echoLength) {
        counters.delivered++;
        if (this.#stamp && this.#stampLeft === 0) recordLatency(RawClient.#readAtUs - readStamp(this.#stamp));
        if (this.#own) {
          counters.ownEchoes++;
          this.#echoesThisRead++;
        }
      } else if (this.#length === PONG_TEXT_LENGTH && this.#phase === 'subscribing') {
        this.#phase = 'ready';
        this.#settle(true, null);
      } else {
        counters.otherFrames++;
        problem(`unexpected text frame of ${this.#length} bytes`);
      }
      return;
    }
    const control = this.#control;
    this.#control = null;
    if (opcode === OP_PING && control) {
      this.#socket.write(maskedFrame(control, 0xa));
      counters.pingsAnswered++;
    } else if (opcode === OP_CLOSE) {
      const code = control && control.length >= 2 ? control.readUInt16BE(0) : 1005;
      const reason = control && control.length > 2 ? control.toString('utf8', 2) : '';
      this.#fail(`server closed the WebSocket: ${code} ${reason}`);
      this.#socket.destroy();
    } else if (opcode !== 0xa) {
      counters.otherFrames++;
      problem(`unexpected frame with opcode ${opcode}`);
    }
  }
}
