/**
 * Test helpers for a real relay on port 0 and real clients: `ws` clients, and raw TCP sockets
 * that do the WebSocket handshake by hand so a test can play a client that never reads or never
 * answers pings. Everything a test opens is registered and closed in afterEach (useRelayHarness).
 */
import { afterEach } from 'vitest';
import { WebSocket, type ClientOptions } from 'ws';
import { connect as netConnect, type Socket } from 'node:net';
import { createHash, randomBytes } from 'node:crypto';
import type { IncomingMessage } from 'node:http';
import { listenRelay, type ListeningRelay } from '../../signaling/listen.js';
import type { RelayOptions } from '../../signaling/options.js';

/** Generous: the suite must pass on a loaded 2-core machine. */
export const DEFAULT_TIMEOUT_MS = 5000;

/** A frame from the relay, parsed. */
export type Frame = { type: string; [key: string]: unknown };
export type Match = string | ((frame: Frame) => boolean);

export interface CloseInfo {
  code: number;
  reason: string;
}

/** Polls `condition` until it returns a truthy value or the deadline passes. */
export async function until<T>(
  condition: () => T | Promise<T>,
  { timeoutMs = DEFAULT_TIMEOUT_MS, intervalMs = 20, what = 'condition' } = {},
): Promise<NonNullable<T>> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await condition();
    if (value) return value as NonNullable<T>;
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await delay(intervalMs);
  }
}

export function delay(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

function matches(match: Match, frame: Frame): boolean {
  return typeof match === 'string' ? frame.type === match : match(frame);
}

/** A `ws` client that records every frame it receives. */
export class TestClient {
  /** Every frame received, in order. */
  readonly frames: Frame[] = [];
  /** Resolves when the socket closes (with the code the relay sent, or 1006). */
  readonly closed: Promise<CloseInfo>;
  closeInfo: CloseInfo | undefined;
  /** Frames already handed out by next(), so successive calls return successive frames. */
  readonly #taken = new Set<Frame>();
  readonly #wakeups = new Set<() => void>();
  #pings = 0;

  constructor(readonly ws: WebSocket) {
    ws.on('message', (data, isBinary) => {
      const text = Buffer.isBuffer(data) ? data.toString('utf8') : String(data);
      if (isBinary) throw new Error('the relay sent a binary frame');
      this.frames.push(JSON.parse(text) as Frame);
      this.#wake();
    });
    ws.on('ping', () => void this.#pings++);
    this.closed = new Promise((resolve) => {
      ws.once('close', (code, reason) => {
        this.closeInfo = { code, reason: reason.toString() };
        this.#wake();
        resolve(this.closeInfo);
      });
    });
    // A test that expects a close may see ECONNRESET first; the close event follows either way.
    ws.on('error', () => {});
  }

  /** Heartbeat pings received from the relay (ws answers them with pongs by itself). */
  get pingsReceived(): number {
    return this.#pings;
  }

  send(message: object | string): void {
    this.ws.send(typeof message === 'string' ? message : JSON.stringify(message));
  }

  /** Frames received so far that match. */
  all(match: Match): Frame[] {
    return this.frames.filter((frame) => matches(match, frame));
  }

  /** The first matching frame not returned by an earlier next(); waits for it to arrive. */
  async next(match: Match, timeoutMs = DEFAULT_TIMEOUT_MS): Promise<Frame> {
    const found = await this.#waitFor(() => this.frames.find((f) => !this.#taken.has(f) && matches(match, f)), timeoutMs, `a ${String(match)} frame`);
    this.#taken.add(found);
    return found;
  }

  /** Waits until `count` matching frames have been received in total; returns them. */
  async count(match: Match, count: number, timeoutMs = DEFAULT_TIMEOUT_MS): Promise<Frame[]> {
    return this.#waitFor(
      () => {
        const found = this.all(match);
        return found.length >= count ? found : undefined;
      },
      timeoutMs,
      `${count} ${String(match)} frames`,
    );
  }

  /**
   * JSON ping → pong round trip. Every frame the relay wrote to this client before it read the
   * ping has arrived once this resolves: a barrier for "X was not sent to this client".
   */
  async sync(timeoutMs = DEFAULT_TIMEOUT_MS): Promise<void> {
    const before = this.all('pong').length;
    this.send({ type: 'ping' });
    await this.count('pong', before + 1, timeoutMs);
  }

  /** Sends a request with an id and waits for the reply carrying the same id. */
  async request(message: { type: string; id: string | number; [key: string]: unknown }, timeoutMs = DEFAULT_TIMEOUT_MS): Promise<Frame> {
    this.send(message);
    return this.next((f) => f.id === message.id, timeoutMs);
  }

  async waitClosed(timeoutMs = DEFAULT_TIMEOUT_MS): Promise<CloseInfo> {
    return this.#waitFor(() => this.closeInfo, timeoutMs, 'the socket to close');
  }

  get isOpen(): boolean {
    return this.ws.readyState === WebSocket.OPEN;
  }

  #waitFor<T>(find: () => T | undefined, timeoutMs: number, what: string): Promise<T> {
    const first = find();
    if (first !== undefined) return Promise.resolve(first);
    return new Promise((resolve, reject) => {
      const wake = () => {
        const value = find();
        if (value !== undefined) {
          done();
          resolve(value);
        } else if (this.closeInfo) {
          done();
          reject(new Error(`socket closed (${this.closeInfo.code} ${this.closeInfo.reason}) while waiting for ${what}; got ${JSON.stringify(this.frames)}`));
        }
      };
      const timer = setTimeout(() => {
        done();
        reject(new Error(`timed out after ${timeoutMs} ms waiting for ${what}; got ${JSON.stringify(this.frames)}`));
      }, timeoutMs);
      const done = () => {
        clearTimeout(timer);
        this.#wakeups.delete(wake);
      };
      this.#wakeups.add(wake);
    });
  }

  #wake(): void {
    for (const wake of [...this.#wakeups]) wake();
  }
}

/** An upgrade the relay refused: the HTTP status and body it answered with. */
export interface Refused {
  status: number;
  body: string;
}

/**
 * Raw TCP client that completed the WebSocket handshake by hand. It never answers pings; it can
 * stop reading (`socket.pause()`) to play a slow consumer, and send masked text frames.
 */
export class RawClient {
  /** Bytes received after the handshake (frames from the relay, unparsed). */
  received = 0;
  readonly ended: Promise<void>;
  isClosed = false;

  constructor(readonly socket: Socket) {
    socket.on('data', (chunk: Buffer) => (this.received += chunk.length));
    this.ended = new Promise((resolve) => socket.once('close', () => resolve()));
    socket.once('close', () => (this.isClosed = true));
    socket.on('error', () => {});
  }

  /** Sends one masked text frame, as a client must. */
  sendText(text: string): void {
    const payload = Buffer.from(text);
    const mask = randomBytes(4);
    let header: Buffer;
    if (payload.length < 126) {
      header = Buffer.from([0x81, 0x80 | payload.length]);
    } else if (payload.length < 65536) {
      header = Buffer.alloc(4);
      header[0] = 0x81;
      header[1] = 0x80 | 126;
      header.writeUInt16BE(payload.length, 2);
    } else {
      header = Buffer.alloc(10);
      header[0] = 0x81;
      header[1] = 0x80 | 127;
      header.writeBigUInt64BE(BigInt(payload.length), 2);
    }
    const masked = Buffer.alloc(payload.length);
    for (let i = 0; i < payload.length; i++) masked[i] = payload[i] ^ mask[i % 4];
    this.socket.write(Buffer.concat([header, mask, masked]));
  }
}

/** Does the opening handshake over a plain TCP socket; resolves once the relay answered 101. */
export async function rawConnect(url: string): Promise<RawClient> {
  const { hostname, port } = new URL(url);
  const socket = netConnect(Number(port), hostname);
  const key = randomBytes(16).toString('base64');
  const expectedAccept = createHash('sha1').update(`${key}258EAFA5-E914-47DA-95CA-C5AB0DC85B11`).digest('base64');
  await new Promise<void>((resolve, reject) => {
    let head = Buffer.alloc(0);
    const onData = (chunk: Buffer) => {
      head = Buffer.concat([head, chunk]);
      const end = head.indexOf('\r\n\r\n');
      if (end === -1) return;
      socket.off('data', onData);
      socket.off('error', reject);
      const response = head.subarray(0, end).toString();
      if (!response.startsWith('HTTP/1.1 101') || !response.includes(`Sec-WebSocket-Accept: ${expectedAccept}`)) {
        socket.destroy();
        reject(new Error(`handshake refused: ${response}`));
        return;
      }
      // Anything after the headers would be a frame; the relay sends none unprompted.
      if (head.length > end + 4) socket.unshift(head.subarray(end + 4));
      resolve();
    };
    socket.on('data', onData);
    socket.once('error', reject);
    socket.write(
      `GET / HTTP/1.1\r\nHost: ${hostname}:${port}\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n` +
        `Sec-WebSocket-Key: ${key}\r\nSec-WebSocket-Version: 13\r\n\r\n`,
    );
  });
  return new RawClient(socket);
}

/** A relay plus everything a test connected to it; all of it is closed in afterEach. */
export function useRelayHarness() {
  const cleanups: (() => Promise<void> | void)[] = [];

  afterEach(async () => {
    // Clients first (instantly, no close handshake), then the relays.
    const pending = cleanups.splice(0).reverse();
    for (const cleanup of pending) await cleanup();
  });

  return {
    async relay(options: Partial<RelayOptions> = {}): Promise<ListeningRelay> {
      const running = await listenRelay({ port: 0, ...options });
      cleanups.push(() => running.close());
      return running;
    },

    /** Opens a `ws` client; rejects with the refusal when the upgrade is refused. */
    async client(url: string, options: ClientOptions = {}): Promise<TestClient> {
      const ws = new WebSocket(url, { perMessageDeflate: false, ...options });
      cleanups.push(() => ws.terminate());
      const client = new TestClient(ws);
      await new Promise<void>((resolve, reject) => {
        ws.once('open', () => resolve());
        ws.once('unexpected-response', (_req, res: IncomingMessage) => {
          let body = '';
          res.on('data', (chunk: Buffer) => (body += chunk.toString()));
          res.on('end', () => reject(Object.assign(new Error(`upgrade refused with ${res.statusCode}`), { status: res.statusCode, body })));
        });
        ws.once('error', reject);
      });
      return client;
    },

    /** Resolves with the status and body of a refused upgrade; fails if the upgrade succeeds. */
    async refusal(url: string, options: ClientOptions = {}): Promise<Refused> {
      try {
        await this.client(url, options);
      } catch (err) {
        const { status, body } = err as Error & Partial<Refused>;
        if (status === undefined) throw err;
        return { status, body: body ?? '' };
      }
      throw new Error(`the upgrade to ${url} was accepted`);
    },

    /**
     * A relay with two well-behaved clients on one topic, and `stillServing()`, which checks
     * that they still exchange publishes (after a test threw bad input at the relay).
     */
    async relayWithBystanders(options: Partial<RelayOptions> = {}) {
      const relay = await this.relay(options);
      const topic = uniqueTopic('by');
      const [alice, bob] = await Promise.all([this.client(relay.url), this.client(relay.url)]);
      alice.send({ type: 'subscribe', topics: [topic] });
      bob.send({ type: 'subscribe', topics: [topic] });
      await Promise.all([alice.sync(), bob.sync()]);
      let n = 0;
      return {
        relay,
        topic,
        bob,
        async stillServing(): Promise<void> {
          const data = `still-there-${++n}`;
          alice.send({ type: 'publish', topic, data });
          const frame = await bob.next((f) => f.type === 'publish' && f.data === data);
          if (frame.clients !== 2 || !alice.isOpen || !bob.isOpen) {
            throw new Error(`bystanders are not served as before: ${JSON.stringify(frame)}`);
          }
        },
      };
    },

    async raw(url: string): Promise<RawClient> {
      const raw = await rawConnect(url);
      cleanups.push(() => void raw.socket.destroy());
      return raw;
    },

    /** Registers any other cleanup (a child process, a server). */
    onCleanup(cleanup: () => Promise<void> | void): void {
      cleanups.push(cleanup);
    },
  };
}

/** GET a relay HTTP endpoint. */
export async function httpGet(running: ListeningRelay, path: string): Promise<{ status: number; type: string; body: string }> {
  const res = await fetch(`http://127.0.0.1:${running.port}${path}`);
  return { status: res.status, type: res.headers.get('content-type') ?? '', body: await res.text() };
}

/** One sample of a Prometheus metric, e.g. metric(text, 'relay_dropped_messages_total', { reason: 'bad-json' }); 0 when absent. */
export function metric(text: string, name: string, labels: Record<string, string> = {}): number {
  const labelText = Object.entries(labels)
    .map(([key, value]) => `${key}="${value}"`)
    .join(',');
  const series = labelText ? `${name}{${labelText}}` : name;
  const line = text.split('\n').find((l) => l.startsWith(`${series} `));
  return line ? Number(line.slice(series.length + 1)) : 0;
}

export async function scrape(running: ListeningRelay): Promise<string> {
  const { status, body } = await httpGet(running, '/metrics');
  if (status !== 200) throw new Error(`/metrics answered ${status}`);
  return body;
}

/** A unique (and short: tests shrink maxTopicLength) topic name per call, so tests never share rooms by accident. */
let topicCounter = 0;
export function uniqueTopic(prefix = 'room'): string {
  return `${prefix}-${++topicCounter}`;
}
