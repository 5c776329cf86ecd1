/**
 * The room client's own connection to a relay, for the room presence extension [R-3][R-71]:
 * does a room exist, how many members, create-only / join-only entry with a destroyDelay.
 *
 * Why a socket of our own: y-webrtc keeps its signaling sockets in a module-private map and
 * subscribes through it, so nothing can be asked on its socket before a provider exists.
 * `enter()` subscribes this socket atomically (so two creators cannot both win ); once
 * y-webrtc's socket has subscribed too, the client calls `leave()` here so the tab counts as
 * one member.
 *
 * A stock y-webrtc server ignores unknown message types. Every request is followed by a JSON
 * `ping`, and a relay answers frames in order, so a `pong` that overtakes the reply means the
 * relay did not understand the request: PRESENCE_UNSUPPORTED, without waiting for a timeout.
 *
 * The same socket carries media signaling (src/lib/media) on topics of its own: plain y-webrtc
 * `subscribe`/`publish`, so it works on a stock relay too. While any topic is subscribed, a lost
 * socket is reopened with backoff and the topics subscribed again.
 */
import { ErrorCode, RoomError } from './errors.js';
// The relay's own message types (type-only: nothing of the relay is bundled into the app).
import type { EnterMode, RoomInfo as RoomPresence } from '../../../signaling/protocol.js';

export type { EnterMode, RoomPresence };

export interface EnteredRoom {
  room: string;
  created: boolean;
  members: number;
  destroyDelay: number;
}

/** The part of the browser WebSocket API the link uses (the `ws` package provides it in Node). */
export interface WebSocketLike {
  readonly readyState: number;
  send(data: string): void;
  close(code?: number, reason?: string): void;
  onopen: ((event: unknown) => void) | null;
  onclose: ((event: unknown) => void) | null;
  onerror: ((event: unknown) => void) | null;
  onmessage: ((event: { data: unknown }) => void) | null;
}
export type WebSocketFactory = (url: string) => WebSocketLike;

export interface RelayLinkOptions {
  url: string;
  /** Defaults to the browser's WebSocket. */
  connect?: WebSocketFactory;
  /** How long to wait for the socket to open or a reply to arrive. */
  timeoutMs?: number;
}

const OPEN = 1;
/** Relay refusals that mean the same to the caller; any other is the relay's own trouble. */
const PASSED_ON_CODES = new Set<string>([ErrorCode.ROOM_NOT_FOUND, ErrorCode.ROOM_ALREADY_EXISTS, ErrorCode.WRONG_PASSWORD]);
const DEFAULT_TIMEOUT_MS = 5000;

type Reply = { type: string; id?: unknown; [key: string]: unknown };
export type TopicListener = (data: unknown) => void;

const RECONNECT_FIRST_MS = 500;
const RECONNECT_MAX_MS = 10_000;

interface Pending {
  resolve(reply: Reply): void;
  reject(error: RoomError): void;
  timer: ReturnType<typeof setTimeout>;
}

export class RelayLink {
  readonly url: string;
  readonly #connect: WebSocketFactory;
  readonly #timeoutMs: number;
  #socket: WebSocketLike | null = null;
  #opening: Promise<WebSocketLike> | null = null;
  #nextId = 1;
  readonly #pending = new Map<number, Pending>();
  /** Requests awaiting their reply, in the order sent; each waits behind its own ping. */
  readonly #awaitingPong: number[] = [];
  #closed = false;
  readonly #topics = new Map<string, Set<TopicListener>>();
  #reconnectDelayMs = RECONNECT_FIRST_MS;
  #reconnectTimer: ReturnType<typeof setTimeout> | undefined;

  constructor(options: RelayLinkOptions) {
    this.url = options.url;
    this.#connect = options.connect ?? ((url) => new WebSocket(url) as unknown as WebSocketLike);
    this.#timeoutMs = options.timeoutMs ?? DEFAULT_TIMEOUT_MS;
  }

  /** Existence, member count and destroyDelay of each room. */
  async query(rooms: string[]): Promise<RoomPresence[]> {
    const reply = await this.#request({ type: 'room-query', rooms }, undefined);
    return reply.rooms as RoomPresence[];
  }

  /**
   * Subscribes this socket to the room, atomically checking `mode`: ROOM_ALREADY_EXISTS for
   * 'create' when it exists, ROOM_NOT_FOUND for 'join' when it does not.
   */
  async enter(room: string, mode: EnterMode, destroyDelay = 0, keyCheck?: string): Promise<EnteredRoom> {
    const reply = await this.#request({ type: 'room-enter', room, mode, destroyDelay, ...(keyCheck === undefined ? {} : { keyCheck }) }, room);
    return { room, created: reply.created as boolean, members: reply.members as number, destroyDelay: reply.destroyDelay as number };
  }

  /** Gives this socket's membership of the room back (y-webrtc's socket holds it now). */
  leave(room: string): void {
    const socket = this.#socket;
    if (socket?.readyState === OPEN) socket.send(JSON.stringify({ type: 'unsubscribe', topics: [room] }));
  }

  /**
   * Receives what is published on `topic` (by anyone, this link included) until the returned
   * function is called. The subscription survives the socket: it is renewed on every reconnect.
   */
  subscribe(topic: string, listener: TopicListener): () => void {
    let listeners = this.#topics.get(topic);
    if (!listeners) {
      listeners = new Set();
      this.#topics.set(topic, listeners);
      this.#sendIfOpen({ type: 'subscribe', topics: [topic] });
    }
    listeners.add(listener);
    void this.#open().catch(() => this.#scheduleReconnect());
    return () => {
      const current = this.#topics.get(topic);
      if (!current?.delete(listener) || current.size > 0) return;
      this.#topics.delete(topic);
      this.#sendIfOpen({ type: 'unsubscribe', topics: [topic] });
    };
  }

  /** Publishes to a topic; dropped while the socket is down (callers retry at their own level). */
  publish(topic: string, data: unknown): boolean {
    return this.#sendIfOpen({ type: 'publish', topic, data });
  }

  #sendIfOpen(message: Record<string, unknown>): boolean {
    const socket = this.#socket;
    if (socket?.readyState !== OPEN) return false;
    socket.send(JSON.stringify(message));
    return true;
  }

  #scheduleReconnect(): void {
    if (this.#closed || this.#topics.size === 0 || this.#reconnectTimer !== undefined) return;
    const delay = this.#reconnectDelayMs;
    this.#reconnectDelayMs = Math.min(delay * 2, RECONNECT_MAX_MS);
    this.#reconnectTimer = setTimeout(() => {
      this.#reconnectTimer = undefined;
      this.#open().catch(() => this.#scheduleReconnect());
    }, delay);
  }

  close(): void {
    this.#closed = true;
    clearTimeout(this.#reconnectTimer);
    this.#topics.clear();
    this.#failAll(new RoomError(ErrorCode.RELAY_UNREACHABLE, 'the relay link was closed'));
    this.#socket?.close(1000, 'closed');
    this.#socket = null;
  }

  async #request(body: Record<string, unknown>, room: string | undefined): Promise<Reply> {
    const socket = await this.#open();
    const id = this.#nextId++;
    const reply = new Promise<Reply>((resolve, reject) => {
      const timer = setTimeout(() => {
        this.#forget(id);
        reject(new RoomError(ErrorCode.RELAY_UNREACHABLE, `the relay at ${this.url} did not answer`, room));
      }, this.#timeoutMs);
      this.#pending.set(id, { resolve, reject, timer });
    });
    this.#awaitingPong.push(id);
    socket.send(JSON.stringify({ ...body, id }));
    socket.send(JSON.stringify({ type: 'ping' }));
    const answer = await reply;
    if (answer.type === 'room-error') {
      const code = PASSED_ON_CODES.has(answer.code as string) ? (answer.code as ErrorCode) : ErrorCode.RELAY_UNREACHABLE;
      throw new RoomError(code, String(answer.message ?? answer.code), room);
    }
    return answer;
  }

  #open(): Promise<WebSocketLike> {
    if (this.#closed) return Promise.reject(new RoomError(ErrorCode.RELAY_UNREACHABLE, 'the relay link was closed'));
    if (this.#socket?.readyState === OPEN) return Promise.resolve(this.#socket);
    this.#opening ??= new Promise<WebSocketLike>((resolve, reject) => {
      let socket: WebSocketLike;
      try {
        socket = this.#connect(this.url);
      } catch (err) {
        this.#opening = null;
        reject(new RoomError(ErrorCode.RELAY_UNREACHABLE, `cannot connect to the relay at ${this.url}: ${String(err)}`));
        return;
      }
      const timer = setTimeout(() => fail(), this.#timeoutMs);
      const fail = () => {
        clearTimeout(timer);
        this.#opening = null;
        socket.onopen = socket.onerror = null;
        socket.close();
        reject(new RoomError(ErrorCode.RELAY_UNREACHABLE, `cannot reach the relay at ${this.url}`));
      };
      socket.onerror = fail;
      socket.onopen = () => {
        clearTimeout(timer);
        this.#opening = null;
        this.#socket = socket;
        socket.onerror = null;
        socket.onmessage = (event) => this.#onMessage(event.data);
        // A lost socket fails what is in flight; the next request opens a new one, and
        // subscribed topics reopen it by themselves.
        socket.onclose = () => {
          if (this.#socket === socket) this.#socket = null;
          this.#failAll(new RoomError(ErrorCode.RELAY_UNREACHABLE, `lost the connection to the relay at ${this.url}`));
          this.#scheduleReconnect();
        };
        this.#reconnectDelayMs = RECONNECT_FIRST_MS;
        if (this.#topics.size > 0) socket.send(JSON.stringify({ type: 'subscribe', topics: [...this.#topics.keys()] }));
        resolve(socket);
      };
    });
    return this.#opening;
  }

  #onMessage(data: unknown): void {
    if (typeof data !== 'string') return;
    let message: Reply;
    try {
      message = JSON.parse(data) as Reply;
    } catch {
      // Not ours to judge: the relay only sends JSON, and a broken frame has no request to fail.
      return;
    }
    if (message.type === 'pong') {
      // The oldest request still waiting was sent before this ping: had the relay understood
      // it, its reply would have come first.
      const id = this.#awaitingPong.shift();
      const pending = id === undefined ? undefined : this.#pending.get(id);
      if (id !== undefined && pending) {
        this.#forget(id);
        pending.reject(new RoomError(ErrorCode.PRESENCE_UNSUPPORTED, 'this relay cannot tell whether a room exists (a stock y-webrtc server?)'));
      }
      return;
    }
    if (message.type === 'publish') {
      const listeners = typeof message.topic === 'string' ? this.#topics.get(message.topic) : undefined;
      for (const listener of [...(listeners ?? [])]) listener(message.data);
      return;
    }
    if (message.type !== 'room-info' && message.type !== 'room-entered' && message.type !== 'room-error') return;
    const id = typeof message.id === 'number' ? message.id : NaN;
    const pending = this.#pending.get(id);
    if (!pending) return;
    this.#forget(id);
    pending.resolve(message);
  }

  /** Drops a request's bookkeeping; its ping stays queued so later pongs still line up. */
  #forget(id: number): void {
    const pending = this.#pending.get(id);
    if (pending) clearTimeout(pending.timer);
    this.#pending.delete(id);
  }

  #failAll(error: RoomError): void {
    for (const [id, pending] of this.#pending) {
      this.#forget(id);
      pending.reject(error);
    }
    this.#awaitingPong.length = 0;
  }
}
