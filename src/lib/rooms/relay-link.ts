/**
 * The room client's own connection to a relay, for the room presence extension [R-3][R-71]:
 * does a room exist, how many members, create-only / join-only entry with a destroyDelay.
 *
 * Why a socket of our own: y-webrtc keeps its signaling sockets in a module-private map and
 * subscribes through it, so nothing can be asked on its socket before a provider exists.
 * `enter()` subscribes this socket atomically (so two creators cannot both win [R-11]); once
 * y-webrtc's socket has subscribed too, the client calls `leave()` here so the tab counts as
 * one member.
 *
 * A stock y-webrtc server ignores unknown message types. Every request is followed by a JSON
 * `ping`, and a relay answers frames in order, so a `pong` that overtakes the reply means the
 * relay did not understand the request: PRESENCE_UNSUPPORTED, without waiting for a timeout.
 *
 * The same socket carries media signaling (src/lib/media) on topics of its own: plain y-webrtc
 * `subscribe`/`publish`, so it works on a stock relay too. While any topic is subscribed (or a
 * `hold()` is taken), a lost socket is reopened with backoff and the topics subscribed again.
 *
 * Several relay URLs (equivalent relays, e.g. on one Redis [R-73]) are used one at a time: a
 * socket that cannot open, or is lost, moves the link to the next URL, round robin; a whole
 * round that fails backs off. `url` is the relay in use; relay-failover.ts moves the rooms'
 * y-webrtc signaling after it.
 */
import { ErrorCode, RoomError } from './errors.js';
import { Emitter } from './events.js';
// The relay's own message types (type-only: nothing of the relay is bundled into the app).
import type { EnterMode, RoomInfo as RoomPresence } from '../../../signaling/protocol.js';

export type { EnterMode, RoomPresence };

export interface EnteredRoom {
  room: string;
  created: boolean;
  members: number;
  destroyDelay: number;
  /** This life of the room (signaling/protocol.ts); undefined from a relay that gives none. */
  incarnation?: string;
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
  /** The relay, or several equivalent relays tried one at a time, round robin. */
  url: string | readonly string[];
  /** Defaults to the browser's WebSocket. */
  connect?: WebSocketFactory;
  /** How long to wait for the socket to open or a reply to arrive. */
  timeoutMs?: number;
}

const OPEN = 1;
/** Relay refusals that mean the same to the caller; any other is the relay's own trouble. */
const PASSED_ON_CODES = new Set<string>([ErrorCode.ROOM_NOT_FOUND, ErrorCode.ROOM_ALREADY_EXISTS, ErrorCode.WRONG_PASSWORD]);
const DEFAULT_TIMEOUT_MS = 5000;

export type Reply = { type: string; id?: unknown; [key: string]: unknown };
export type TopicListener = (data: unknown) => void;

/**
 * Reconnect backoff after a lost socket or a whole round of URLs that failed: the first retry
 * comes quickly (a killed relay's clients should reach the next one in well under a second),
 * later ones double up to a few seconds, each with jitter so a restarted relay is not hit by
 * all its clients at the same moment.
 */
const RECONNECT_FIRST_MS = 250;
const RECONNECT_MAX_MS = 5_000;

export interface RelayLinkEvents {
  /** A socket opened; `reopened` after a loss (the rooms' signaling may need to follow). */
  open: { url: string; reopened: boolean };
  /** The open socket was lost; the link moves on to the next URL. */
  lost: { url: string };
}

interface Pending {
  resolve(reply: Reply): void;
  reject(error: RoomError): void;
  timer: ReturnType<typeof setTimeout>;
}

/** A `room-entered` reply as `enter()` gives it; a `room-error` reply is thrown as its RoomError. */
export function enteredRoom(room: string, reply: Reply): EnteredRoom {
  if (reply.type === 'room-error') throw refusal(reply, room);
  return {
    room,
    created: reply.created as boolean,
    members: reply.members as number,
    destroyDelay: reply.destroyDelay as number,
    incarnation: typeof reply.incarnation === 'string' ? reply.incarnation : undefined,
  };
}

function refusal(reply: Reply, room: string | undefined): RoomError {
  const code = PASSED_ON_CODES.has(reply.code as string) ? (reply.code as ErrorCode) : ErrorCode.RELAY_UNREACHABLE;
  return new RoomError(code, String(reply.message ?? reply.code), room);
}

export class RelayLink {
  readonly urls: readonly string[];
  #urlIndex = 0;
  readonly #events = new Emitter<RelayLinkEvents>();
  #everOpened = false;
  /** Reasons besides topics to keep a socket open (live rooms to fail over): a count. */
  #holds = 0;
  readonly #openWaiters = new Set<{ resolve(url: string): void; reject(error: RoomError): void }>();
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
    this.urls = typeof options.url === 'string' ? [options.url] : [...options.url];
    if (this.urls.length === 0) throw new RoomError(ErrorCode.INVALID_CONFIG, 'the relay link needs at least one URL');
    this.#connect = options.connect ?? ((url) => new WebSocket(url) as unknown as WebSocketLike);
    this.#timeoutMs = options.timeoutMs ?? DEFAULT_TIMEOUT_MS;
  }

  /** The relay in use (or tried next). */
  get url(): string {
    return this.urls[this.#urlIndex];
  }

  get isOpen(): boolean {
    return this.#socket?.readyState === OPEN;
  }

  on<K extends keyof RelayLinkEvents>(event: K, listener: (payload: RelayLinkEvents[K]) => void): () => void {
    return this.#events.on(event, listener);
  }

  /**
   * Keeps the link connected (reconnecting with backoff, round robin) until the returned
   * function is called, even with no topic subscribed.
   */
  hold(): () => void {
    this.#holds++;
    let released = false;
    if (!this.isOpen) this.#reconnectSoon();
    return () => {
      if (released) return;
      released = true;
      this.#holds--;
    };
  }

  /**
   * Resolves with the URL once a socket is open: now if one is, otherwise after the link's
   * own reconnecting (with its backoff) succeeds. Rejects only when the link is closed.
   */
  whenOpen(): Promise<string> {
    if (this.isOpen) return Promise.resolve(this.url);
    if (this.#closed) return Promise.reject(new RoomError(ErrorCode.RELAY_UNREACHABLE, 'the relay link was closed'));
    const opened = new Promise<string>((resolve, reject) => this.#openWaiters.add({ resolve, reject }));
    this.#reconnectSoon();
    return opened;
  }

  /**
   * Gives up on the relay in use (it answers but does not carry what it should): the socket is
   * closed, and the next one is opened to the next URL.
   */
  skipRelay(): void {
    if (this.#socket) this.#socket.close(4000, 'moving to another relay');
    else this.#advance();
  }

  /** Existence, member count and destroyDelay of each room. */
  async query(rooms: string[]): Promise<RoomPresence[]> {
    const reply = await this.#request({ type: 'room-query', rooms }, undefined);
    return reply.rooms as RoomPresence[];
  }

  /**
   * Subscribes this socket to the room, atomically checking `mode`: ROOM_ALREADY_EXISTS for
   * 'create' when it exists, ROOM_NOT_FOUND for 'join' when it does not. `incarnation` is
   * proposed for the room if this creates it (a reload, a relay that forgot the room).
   */
  async enter(room: string, mode: EnterMode, destroyDelay = 0, keyCheck?: string, incarnation?: string): Promise<EnteredRoom> {
    const optional = { ...(keyCheck === undefined ? {} : { keyCheck }), ...(incarnation === undefined ? {} : { incarnation }) };
    return enteredRoom(room, await this.#request({ type: 'room-enter', room, mode, destroyDelay, ...optional }, room));
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
    this.#reconnectSoon();
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

  /** Opens a socket now unless one is open, opening, or waiting out its backoff. */
  #reconnectSoon(): void {
    if (this.isOpen || this.#opening || this.#reconnectTimer !== undefined) return;
    this.#open().catch(() => this.#scheduleReconnect());
  }

  #scheduleReconnect(): void {
    const wanted = this.#topics.size > 0 || this.#holds > 0 || this.#openWaiters.size > 0;
    if (this.#closed || !wanted || this.#reconnectTimer !== undefined) return;
    const backoff = this.#reconnectDelayMs;
    this.#reconnectDelayMs = Math.min(backoff * 2, RECONNECT_MAX_MS);
    // Between half and all of the backoff (jitter).
    const delay = backoff / 2 + Math.random() * (backoff / 2);
    this.#reconnectTimer = setTimeout(() => {
      this.#reconnectTimer = undefined;
      this.#open().catch(() => this.#scheduleReconnect());
    }, delay);
  }

  close(): void {
    this.#closed = true;
    clearTimeout(this.#reconnectTimer);
    this.#topics.clear();
    const closed = new RoomError(ErrorCode.RELAY_UNREACHABLE, 'the relay link was closed');
    this.#failAll(closed);
    for (const waiter of this.#openWaiters) waiter.reject(closed);
    this.#openWaiters.clear();
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
    if (answer.type === 'room-error') throw refusal(answer, room);
    return answer;
  }

  /** The next relay in the list (round robin). */
  #advance(): void {
    this.#urlIndex = (this.#urlIndex + 1) % this.urls.length;
  }

  /** An open socket: the one in use, or one opened to each URL in turn, from the current one. */
  #open(): Promise<WebSocketLike> {
    if (this.#closed) return Promise.reject(new RoomError(ErrorCode.RELAY_UNREACHABLE, 'the relay link was closed'));
    if (this.#socket?.readyState === OPEN) return Promise.resolve(this.#socket);
    this.#opening ??= this.#openRound().finally(() => (this.#opening = null));
    return this.#opening;
  }

  async #openRound(): Promise<WebSocketLike> {
    let lastError: RoomError | undefined;
    for (let attempt = 0; attempt < this.urls.length; attempt++) {
      try {
        return await this.#openOne(this.url);
      } catch (err) {
        lastError = err as RoomError;
        if (this.#closed) break;
        this.#advance();
      }
    }
    throw lastError ?? new RoomError(ErrorCode.RELAY_UNREACHABLE, 'the relay link was closed');
  }

  #openOne(url: string): Promise<WebSocketLike> {
    return new Promise<WebSocketLike>((resolve, reject) => {
      let socket: WebSocketLike;
      try {
        socket = this.#connect(url);
      } catch (err) {
        reject(new RoomError(ErrorCode.RELAY_UNREACHABLE, `cannot connect to the relay at ${url}: ${String(err)}`));
        return;
      }
      const timer = setTimeout(() => fail(), this.#timeoutMs);
      const fail = () => {
        clearTimeout(timer);
        socket.onopen = socket.onerror = null;
        socket.close();
        reject(new RoomError(ErrorCode.RELAY_UNREACHABLE, `cannot reach the relay at ${url}`));
      };
      socket.onerror = fail;
      socket.onopen = () => {
        clearTimeout(timer);
        if (this.#closed) {
          socket.onopen = socket.onerror = null;
          socket.close(1000, 'closed');
          reject(new RoomError(ErrorCode.RELAY_UNREACHABLE, 'the relay link was closed'));
          return;
        }
        this.#socket = socket;
        socket.onerror = null;
        socket.onmessage = (event) => this.#onMessage(event.data);
        // A lost socket fails what is in flight; the next request opens a new one, and
        // subscribed topics reopen it by themselves.
        socket.onclose = () => {
          if (this.#socket !== socket) return;
          this.#socket = null;
          this.#failAll(new RoomError(ErrorCode.RELAY_UNREACHABLE, `lost the connection to the relay at ${url}`));
          if (this.#closed) return;
          // The relay died or dropped us: the next socket goes to the next relay.
          this.#advance();
          this.#events.emit('lost', { url });
          this.#scheduleReconnect();
        };
        this.#reconnectDelayMs = RECONNECT_FIRST_MS;
        if (this.#topics.size > 0) socket.send(JSON.stringify({ type: 'subscribe', topics: [...this.#topics.keys()] }));
        const reopened = this.#everOpened;
        this.#everOpened = true;
        resolve(socket);
        for (const waiter of this.#openWaiters) waiter.resolve(url);
        this.#openWaiters.clear();
        this.#events.emit('open', { url, reopened });
      };
    });
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
