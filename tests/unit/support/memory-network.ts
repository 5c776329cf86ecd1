/**
 * An in-memory network for unit tests of Room and RoomClient, in the spirit of yjs's
 * TestConnector: every peer connection is a queue the test controls, so sync, presence and
 * their failures run in Node, deterministically, under fake timers.
 *
 * What it models, and why each part is there:
 * - An Endpoint is one browser tab (one RoomClient). Like y-webrtc, a tab has one signaling
 *   socket to the relay, shared by all its rooms; `endpoint.createProvider` is what
 *   RoomOptions.createProvider / RoomClientOptions.createProvider take.
 * - A MemoryProvider speaks y-webrtc's peer protocol in spirit: on connecting, both sides send
 *   a sync step 1 (state vector) and every awareness state they know; every document and
 *   awareness update is then broadcast to every connected peer, re-broadcasts of what came from
 *   others included (y-webrtc does that too, and it is where duplicates would show up).
 * - Peers of one room find each other through the relay, so a connection opens only while both
 *   tabs reach the relay; once open it survives the relay going away (WebRTC is peer to peer).
 * - Messages on a connection arrive in order (data channels are ordered). Across connections
 *   the order is chosen by a seeded random generator: `delivery: 'manual'` lets the test step
 *   through them (`deliverNext`, `flush`); 'immediate' (the default) delivers everything as soon
 *   as it is sent, which suits tests driven by fake timers. `hold(from, to)` makes one direction
 *   slow: its messages wait until `release`.
 * - Failures: `relayDown/relayUp` (the signaling socket only), `goOffline/goOnline` (a lost
 *   network: relay and every peer connection, with what was in flight), `crash` (the tab
 *   vanishes: no awareness removal is ever sent). A graceful destroy() sends the removal and
 *   lets what is already queued arrive, as a closing data channel does.
 */
import * as Y from 'yjs';
import { Awareness, applyAwarenessUpdate, encodeAwarenessUpdate, removeAwarenessStates } from 'y-protocols/awareness';
import type { CreateRoomProvider, RoomProvider, RoomProviderOptions, SignalingSocket } from '../../../src/lib/rooms/room-provider.js';
import { HELLO } from '../../../signaling/protocol.js';

type Envelope =
  | { kind: 'sync-step-1'; stateVector: Uint8Array }
  | { kind: 'sync-step-2'; update: Uint8Array }
  | { kind: 'update'; update: Uint8Array }
  | { kind: 'awareness'; update: Uint8Array };

export interface MemoryNetworkOptions {
  delivery?: 'immediate' | 'manual';
  /** Seed of the order in which connections take turns delivering. */
  seed?: number;
}

type Listener = (...args: never[]) => void;

/** on/off/emit by event name: all the fakes below need. */
class Events {
  readonly #listeners = new Map<string, Set<Listener>>();

  on(event: string, listener: Listener): void {
    let set = this.#listeners.get(event);
    if (!set) this.#listeners.set(event, (set = new Set()));
    set.add(listener);
  }

  off(event: string, listener: Listener): void {
    this.#listeners.get(event)?.delete(listener);
  }

  emit(event: string, ...args: unknown[]): void {
    for (const listener of [...(this.#listeners.get(event) ?? [])]) (listener as (...args: unknown[]) => void)(...args);
  }
}

/**
 * Our relay's presence extension, as the tab's socket reaches it: the answer to a `room-enter`
 * (tests/unit/support/fake-relay.ts), which subscribes the socket when it lets the member in.
 */
export type SignalingPresence = (request: Record<string, unknown>) => Record<string, unknown>;

/**
 * A tab's socket to the relay. The relay answers `ping` with `pong`, a tick later; a
 * `subscribe` makes the tab's rooms of those topics known to the relay (and so to their peers),
 * as y-webrtc's does: sent when a room opens and for every room when the socket reconnects.
 *
 * With `presence` set (the tab's relay is ours), it also answers `room-enter` (in order with
 * the pongs) and greets with our relay's `hello`. Our relay sends that first on every
 * connection, and the real socket opens after the room client listens to it; this one is
 * connected from the start, so it greets each new message listener instead, and everyone
 * again when it reconnects.
 */
export class MemorySignalingSocket implements SignalingSocket {
  #connected = true;
  readonly #events = new Events();
  presence: SignalingPresence | null = null;

  constructor(private readonly onSubscribe: (topics: string[]) => void) {}

  get connected(): boolean {
    return this.#connected;
  }

  send(message: unknown): void {
    const { type, topics } = message as { type?: unknown; topics?: unknown };
    if (!this.#connected) return;
    if (type === 'subscribe' && Array.isArray(topics)) this.onSubscribe(topics);
    const presence = this.presence;
    if (type === 'room-enter' && presence) {
      const request = message as Record<string, unknown>;
      this.#reply(() => {
        const reply = presence(request);
        if (reply.type === 'room-entered') this.onSubscribe([request.room as string]);
        return reply;
      });
    }
    if (type === 'ping') this.#reply(() => ({ type: 'pong' }));
  }

  /** Answers a tick later, as a relay does, and not on a connection lost meanwhile. */
  #reply(answer: () => Record<string, unknown>): void {
    queueMicrotask(() => {
      if (this.#connected) this.#events.emit('message', answer());
    });
  }

  on(event: 'connect' | 'disconnect', listener: () => void): void;
  on(event: 'message', listener: (message: { type?: string }) => void): void;
  on(event: string, listener: Listener): void {
    this.#events.on(event, listener);
    if (event === 'message' && this.presence) {
      queueMicrotask(() => {
        if (this.#connected) listener(HELLO as never);
      });
    }
  }

  off(event: string, listener: Listener): void {
    this.#events.off(event, listener);
  }

  /** @internal the network's switch. */
  setConnected(connected: boolean): void {
    if (this.#connected === connected) return;
    this.#connected = connected;
    this.#events.emit(connected ? 'connect' : 'disconnect');
    if (connected && this.presence) this.#reply(() => HELLO);
  }
}

/** One browser tab: a signaling socket shared by its rooms, and whether it is reachable at all. */
export class Endpoint {
  readonly signaling = new MemorySignalingSocket((topics) => {
    for (const provider of this.providers) {
      if (!topics.includes(provider.roomId) || provider.room === null) continue;
      provider.subscribed = true;
      this.network.connectReachable(provider);
    }
  });
  readonly providers = new Set<MemoryProvider>();
  online = true;
  crashed = false;
  /** What went wrong where y-webrtc would throw with no caller to catch it. */
  readonly failures: string[] = [];

  constructor(
    readonly network: MemoryNetwork,
    readonly name: string,
  ) {}

  /** For RoomOptions.createProvider / RoomClientOptions.createProvider. */
  readonly createProvider: CreateRoomProvider = (roomId, doc, options) => new MemoryProvider(this, roomId, doc, options);

  /** Whether the relay can see this tab (and so introduce it to peers). */
  get reachesRelay(): boolean {
    return this.online && !this.crashed && this.signaling.connected;
  }

  /** What y-webrtc's socket does when it (re)connects: subscribe every open room of the tab. */
  subscribeAll(): void {
    const topics = [...this.providers].filter((provider) => provider.room !== null).map((provider) => provider.roomId);
    if (topics.length > 0) this.signaling.send({ type: 'subscribe', topics });
  }
}

/** The RoomProvider of one room in one tab. */
export class MemoryProvider implements RoomProvider {
  readonly awareness: Awareness;
  readonly signalingConns: readonly MemorySignalingSocket[];
  readonly key: Promise<void>;
  room: { name: string } | null = null;
  /** The relay has seen this room's subscription: peers can be introduced. */
  subscribed = false;
  /** Providers this one has an open connection with. */
  readonly peers = new Set<MemoryProvider>();
  destroyed = false;
  #leaving = false;
  readonly #events = new Events();

  constructor(
    readonly endpoint: Endpoint,
    readonly roomId: string,
    readonly doc: Y.Doc,
    readonly options: RoomProviderOptions,
  ) {
    this.awareness = new Awareness(doc);
    this.signalingConns = [endpoint.signaling];
    endpoint.providers.add(this);
    doc.on('update', this.#onDocUpdate);
    this.awareness.on('update', this.#stampArrival);
    this.awareness.on('update', this.#onAwarenessUpdate);
    // Like y-webrtc, the room opens a tick later (after the password key is derived), so the
    // caller has attached its listeners before any peer is heard.
    this.key = Promise.resolve().then(() => {
      if (this.#leaving) return;
      // y-webrtc keeps one room per name per tab, and a second provider for a name still in
      // use throws inside this promise, where no caller sees it: the room never opens
      // (DESIGN.md §2). Leaving must have destroyed the old one completely first.
      const twin = [...endpoint.providers].find((other) => other !== this && other.roomId === roomId);
      if (twin) {
        endpoint.failures.push(`a second provider for room "${roomId}" while one is still open`);
        return;
      }
      this.room = { name: roomId };
      this.#events.emit('status', { connected: true });
      endpoint.signaling.send({ type: 'subscribe', topics: [roomId] });
    });
  }

  on(event: 'status', listener: () => void): void {
    this.#events.on(event, listener);
  }

  off(event: 'status', listener: () => void): void {
    this.#events.off(event, listener);
  }

  /**
   * A graceful leave, done when `key` settles as y-webrtc does: so a document update made in
   * the transaction that led here (a kick, a close) still goes out first. Then the removal of
   * the local state goes out, and the connections close.
   */
  destroy(): void {
    if (this.#leaving) return;
    this.#leaving = true;
    void this.key.then(() => {
      removeAwarenessStates(this.awareness, [this.awareness.clientID], 'disconnect');
      this.destroyed = true;
      this.doc.off('update', this.#onDocUpdate);
      this.awareness.off('update', this.#onAwarenessUpdate);
      this.endpoint.providers.delete(this);
      this.endpoint.network.disconnect(this, { dropInFlight: false });
    });
  }

  /** Whether this provider can open a connection to `other` (the relay introduces them). */
  canMeet(other: MemoryProvider): boolean {
    return (
      other !== this &&
      other.roomId === this.roomId &&
      other.endpoint !== this.endpoint &&
      // Encrypted signaling: peers with different passwords cannot make sense of each other.
      other.options.password === this.options.password &&
      this.subscribed &&
      other.subscribed &&
      !this.destroyed &&
      !other.destroyed &&
      this.endpoint.reachesRelay &&
      other.endpoint.reachesRelay
    );
  }

  /** @internal both sides of a new connection introduce themselves, as y-webrtc's do on `connect`. */
  greet(peer: MemoryProvider): void {
    this.#send(peer, { kind: 'sync-step-1', stateVector: Y.encodeStateVector(this.doc) });
    const known = [...this.awareness.getStates().keys()];
    if (known.length > 0) this.#send(peer, { kind: 'awareness', update: encodeAwarenessUpdate(this.awareness, known) });
  }

  /** @internal a message from `from` arrives. */
  receive(from: MemoryProvider, envelope: Envelope): void {
    switch (envelope.kind) {
      case 'sync-step-1':
        this.#send(from, { kind: 'sync-step-2', update: Y.encodeStateAsUpdate(this.doc, envelope.stateVector) });
        break;
      case 'sync-step-2':
      case 'update':
        Y.applyUpdate(this.doc, envelope.update, from);
        break;
      case 'awareness':
        applyAwarenessUpdate(this.awareness, envelope.update, from);
        break;
    }
  }

  /**
   * y-protocols stamps an arrival with lib0's `getUnixTime`, which is `Date.now` as it was when
   * lib0 loaded: the real clock, even under vitest's fake timers. The Room compares that stamp
   * with its own (faked) Date.now(), as it safely can in a browser; so arrivals are stamped
   * again here with the clock the test drives.
   */
  readonly #stampArrival = ({ added, updated }: { added: number[]; updated: number[] }, origin: unknown): void => {
    if (!(origin instanceof MemoryProvider)) return;
    for (const clientId of [...added, ...updated]) {
      const meta = this.awareness.meta.get(clientId);
      if (meta) this.awareness.meta.set(clientId, { ...meta, lastUpdated: Date.now() });
    }
  }

  #send(to: MemoryProvider, envelope: Envelope): void {
    this.endpoint.network.send(this, to, envelope);
  }

  #broadcast(envelope: Envelope): void {
    for (const peer of this.peers) this.#send(peer, envelope);
  }

  readonly #onDocUpdate = (update: Uint8Array): void => {
    this.#broadcast({ kind: 'update', update });
  };

  readonly #onAwarenessUpdate = ({ added, updated, removed }: { added: number[]; updated: number[]; removed: number[] }): void => {
    const changed = [...added, ...updated, ...removed];
    this.#broadcast({ kind: 'awareness', update: encodeAwarenessUpdate(this.awareness, changed) });
  };
}

/** Messages one way along one connection, in the order sent. */
interface Channel {
  from: MemoryProvider;
  to: MemoryProvider;
  queue: Envelope[];
}

/** A small seeded generator (mulberry32): the same seed gives the same delivery order. */
function seededRandom(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** A runaway re-broadcast loop would otherwise hang the test run. */
const MAX_DELIVERIES_PER_FLUSH = 100_000;

export class MemoryNetwork {
  readonly #endpoints = new Map<string, Endpoint>();
  readonly #channels: Channel[] = [];
  readonly #held = new Set<string>();
  readonly #random: () => number;
  #delivery: 'immediate' | 'manual';
  #delivering = false;

  constructor(options: MemoryNetworkOptions = {}) {
    this.#delivery = options.delivery ?? 'immediate';
    this.#random = seededRandom(options.seed ?? 1);
  }

  /** A new tab on this network. */
  endpoint(name: string): Endpoint {
    if (this.#endpoints.has(name)) throw new Error(`endpoint "${name}" exists`);
    const endpoint = new Endpoint(this, name);
    this.#endpoints.set(name, endpoint);
    return endpoint;
  }

  /** From now on messages wait for deliverNext()/flush() ('manual'), or arrive at once. */
  setDelivery(delivery: 'immediate' | 'manual'): void {
    this.#delivery = delivery;
    if (delivery === 'immediate') this.flush();
  }

  /** Messages sent and not yet delivered (held ones included). */
  get pending(): number {
    return this.#channels.reduce((sum, channel) => sum + channel.queue.length, 0);
  }

  /** How many tabs the relay sees in a room: what a relay with the presence extension counts. */
  membersOf(roomId: string): number {
    let count = 0;
    for (const endpoint of this.#endpoints.values()) {
      if (!endpoint.reachesRelay) continue;
      for (const provider of endpoint.providers) if (provider.roomId === roomId && provider.subscribed) count++;
    }
    return count;
  }

  /** Delivers one message, from a connection picked at random; false when nothing can move. */
  deliverNext(): boolean {
    const ready = this.#channels.filter((channel) => channel.queue.length > 0 && !this.#isHeld(channel));
    if (ready.length === 0) return false;
    const channel = ready[Math.floor(this.#random() * ready.length)];
    const envelope = channel.queue.shift()!;
    if (!channel.to.destroyed) channel.to.receive(channel.from, envelope);
    this.#prune();
    return true;
  }

  /** Delivers until nothing can move; returns how many messages arrived. */
  flush(): number {
    if (this.#delivering) return 0;
    this.#delivering = true;
    let delivered = 0;
    try {
      while (this.deliverNext()) {
        if (++delivered > MAX_DELIVERIES_PER_FLUSH) throw new Error('the network does not settle: a re-broadcast loop?');
      }
    } finally {
      this.#delivering = false;
    }
    return delivered;
  }

  /** A slow link: what `from` sends to `to` waits until release(). */
  hold(from: Endpoint, to: Endpoint): void {
    this.#held.add(`${from.name}\u0000${to.name}`);
  }

  release(from: Endpoint, to: Endpoint): void {
    this.#held.delete(`${from.name}\u0000${to.name}`);
    if (this.#delivery === 'immediate') this.flush();
  }

  /** The relay stops answering this tab (or every tab); peer connections stay up. */
  relayDown(...endpoints: Endpoint[]): void {
    for (const endpoint of this.#or(endpoints)) endpoint.signaling.setConnected(false);
  }

  /** The relay is back: the tab re-announces its rooms and meets peers it is not connected to. */
  relayUp(...endpoints: Endpoint[]): void {
    for (const endpoint of this.#or(endpoints)) {
      if (!endpoint.online || endpoint.crashed) continue;
      endpoint.signaling.setConnected(true);
      endpoint.subscribeAll();
    }
  }

  /** The tab's network is gone: relay and every peer connection, with what was in flight. */
  goOffline(endpoint: Endpoint): void {
    endpoint.online = false;
    for (const provider of endpoint.providers) this.disconnect(provider, { dropInFlight: true });
    endpoint.signaling.setConnected(false);
  }

  goOnline(endpoint: Endpoint): void {
    endpoint.online = true;
    this.relayUp(endpoint);
  }

  /** The tab vanishes without a word: nobody is told, in-flight messages are lost. */
  crash(endpoint: Endpoint): void {
    endpoint.crashed = true;
    for (const provider of endpoint.providers) this.disconnect(provider, { dropInFlight: true });
  }

  /** @internal opens a connection from `provider` to every peer it can meet. */
  connectReachable(provider: MemoryProvider): void {
    for (const endpoint of this.#endpoints.values()) {
      for (const other of endpoint.providers) {
        if (provider.peers.has(other) || !provider.canMeet(other)) continue;
        provider.peers.add(other);
        other.peers.add(provider);
        provider.greet(other);
        other.greet(provider);
      }
    }
  }

  /** @internal closes every connection of `provider`. */
  disconnect(provider: MemoryProvider, { dropInFlight }: { dropInFlight: boolean }): void {
    for (const peer of provider.peers) peer.peers.delete(provider);
    provider.peers.clear();
    if (dropInFlight) {
      for (const channel of this.#channels) if (channel.from === provider || channel.to === provider) channel.queue.length = 0;
    }
    this.#prune();
  }

  /** @internal */
  send(from: MemoryProvider, to: MemoryProvider, envelope: Envelope): void {
    if (!from.peers.has(to)) return;
    let channel = this.#channels.find((c) => c.from === from && c.to === to);
    if (!channel) this.#channels.push((channel = { from, to, queue: [] }));
    channel.queue.push(envelope);
    if (this.#delivery === 'immediate') this.flush();
  }

  #isHeld(channel: Channel): boolean {
    return this.#held.has(`${channel.from.endpoint.name}\u0000${channel.to.endpoint.name}`);
  }

  /** Forgets empty channels of closed connections. */
  #prune(): void {
    for (let i = this.#channels.length - 1; i >= 0; i--) {
      const channel = this.#channels[i];
      if (channel.queue.length === 0 && !channel.from.peers.has(channel.to)) this.#channels.splice(i, 1);
    }
  }

  #or(endpoints: Endpoint[]): Iterable<Endpoint> {
    return endpoints.length > 0 ? endpoints : this.#endpoints.values();
  }
}
