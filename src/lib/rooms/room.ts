/**
 * One room: one Y.Doc synchronized by one y-webrtc provider, one state machine, and the
 * member list derived from awareness. The client (client.ts) decides when a room starts
 * and ends; a Room only reports what happens to it.
 */
import * as Y from 'yjs';
import type { Awareness } from 'y-protocols/awareness';
import { IndexeddbPersistence } from 'y-indexeddb';
import { RoomStateMachine, type StateChange, type StateReason } from './room-state.js';
import { leaveReason, memberChanged, toMember, type AwarenessState, type LeaveReason, type Member, type Role } from './members.js';
import { MAX_ROOM_NAME_BYTES, utf8Length, type User } from './validation.js';
import {
  ATTRIBUTES_KEY,
  MEMBER_ATTRIBUTE_LIMITS,
  MESSAGES_KEY,
  ROOM_ATTRIBUTE_LIMITS,
  assertAttributeChange,
  readAttributes,
  toChatMessage,
  type ChatMessage,
  type CustomContent,
} from './schema.js';
import { BANS_KEY, BAN_DURATION_MS, META_KEY, ROLES_KEY, closedFor, effectiveRole, isBanned } from './moderation.js';
import { ErrorCode, RoomError } from './errors.js';
import { writeStreams, type StreamInfo } from '../media/stream-info.js';
import { StuckConnectionWatchdog } from './stuck-connections.js';
import { createWebrtcProvider, type CreateRoomProvider, type RoomProvider, type SignalingSocket } from './room-provider.js';
import { isSwitchable, pauseSocket, pointAt, whenSocketConnected } from './signaling-switch.js';
import { gateRoom, gateSocket, isGateableSocket, isYWebrtcRoom, leaveQuietly, ungateRoom } from './announce-gate.js';
import { traceDataConnections, watchDataConnections } from './data-connection-trace.js';
import { holdSubscription } from './subscription-hold.js';
import { watchRelay, type SignalingEnter } from './signaling-enter.js';
import { within } from './within.js';
import { NO_TRACE, type Trace } from './trace.js';
import type { FailoverRoom } from './relay-failover.js';

export interface RoomOptions {
  roomId: string;
  user: User;
  role: Role;
  /**
   * The relay(s) to signal through, read when the room starts: the relay the client's link is
   * on (one at a time, relay-failover.ts).
   */
  signalingUrls: () => string[];
  password?: string;
  /** simple-peer options (ICE servers, our data-channel wrapper). */
  peerOpts: Record<string, unknown>;
  /** The transport that syncs the document; y-webrtc unless a test or another transport says otherwise. */
  createProvider?: CreateRoomProvider;
  /** Steps of connecting, for finding where the time goes (trace.ts); off by default. */
  trace?: Trace;
  /** Each data connection (y-webrtc's) as it is made: media rides on it (media/media-lines.ts). */
  dataConnectionAdded?(pc: RTCPeerConnection): void;
}

export type EndReason = 'kicked' | 'room-closed' | 'reconnect-failed';

export interface RoomCallbacks {
  stateChanged(change: StateChange): void;
  membersJoined(members: Member[]): void;
  membersLeft(members: Member[], reason: LeaveReason): void;
  memberUpdated(member: Member): void;
  /** `index`: the message's place in the history (`messages`) once it is in. */
  message(message: ChatMessage, index: number): void;
  attributesChanged(updated: Record<string, string>, deleted: string[]): void;
  roleChanged(member: Member, previous: Role): void;
  /** The room ended for this member without them leaving: kicked, closed by the host, or lost. */
  ended(reason: EndReason): void;
  /** The relay socket was lost and stopped (switchable providers only): move it (relay-failover.ts). */
  signalingLost?(): void;
}

/** Every peer in a room connects to every other: rooms are full meshes. */
const FULL_MESH_MAX_CONNS = 64;
const HANDOFF_TIMEOUT_MS = 5000;

/**
 * Crash and lost-network detection. Awareness only expires a silent member after 30 s
 * and y-webrtc removes nothing when a peer's connection dies, so every member bumps a `beat`
 * in its awareness every 4 s and a member silent for 10 s is timed out (checked every 2 s):
 * seen within ~12 s, under the 15 s the spec allows. A member wrongly timed out (a slow
 * link) reappears with its next beat.
 */
const TICK_MS = 2000;
const BEAT_EVERY_TICKS = 2;
const SILENCE_TIMEOUT_MS = 10_000;
/** Local history is loaded before connecting; a slow or broken IndexedDB must not block entry. */
const PERSISTENCE_LOAD_TIMEOUT_MS = 3000;
/**
 * Reconnecting while peers are still connected is a meeting that goes on (chat and media flow
 * browser to browser); with neither the relay nor any peer for this long, nothing is left of
 * the room for this member: disconnected(reconnect-failed).
 */
const GIVE_UP_ALONE_MS = 60_000;

/**
 * Drops members this tab has not heard from; the change handler reports them as
 * memberLeft(timeout) [R-51]. A timeout is this tab's judgement of its own links, not news for
 * the others, so it must not reach them: y-protocols' removeAwarenessStates() emits 'update',
 * which y-webrtc broadcasts, and every peer would then drop the member as if it had left —
 * memberLeft(left) for a crash everywhere but at the first peer to notice, and a member that
 * only one peer cannot hear dropped by all. So only a local 'change' is emitted. A member
 * dropped wrongly comes back with its next beat (a newer awareness clock).
 */
function forgetSilentMembers(awareness: Awareness, clientIds: number[]): void {
  for (const clientId of clientIds) awareness.states.delete(clientId);
  awareness.emit('change', [{ added: [], updated: [], removed: clientIds }, 'timeout']);
}

export class Room implements FailoverRoom {
  readonly roomId: string;
  readonly doc = new Y.Doc();
  readonly machine: RoomStateMachine;
  #provider: RoomProvider | null = null;
  /** Asking the relay on y-webrtc's socket while entering (signaling-enter.ts); done once answered. */
  #signalingEnter: SignalingEnter | undefined;
  /** The relay let this member in: its awareness state is set, members are reported. */
  #admitted = false;
  readonly #members = new Map<number, Member>();
  readonly #options: RoomOptions;
  readonly #callbacks: RoomCallbacks;
  readonly #messages: Y.Array<unknown>;
  readonly #attributes: Y.Map<unknown>;
  readonly #meta: Y.Map<unknown>;
  readonly #roles: Y.Map<unknown>;
  readonly #bans: Y.Map<unknown>;
  #ended = false;
  #messageCounter = 0;
  /** Entries of the chat array that were not messages; 0 in any honest room. */
  #skippedEntries = 0;
  #ticker: ReturnType<typeof setInterval> | undefined;
  #ticks = 0;
  /** Since when this member has been reconnecting with nobody else in the room; null otherwise. */
  #aloneSince: number | null = null;
  readonly #stuckConnections = new StuckConnectionWatchdog();

  constructor(options: RoomOptions, callbacks: RoomCallbacks, log?: (line: string) => void) {
    this.roomId = options.roomId;
    this.#options = options;
    this.#callbacks = callbacks;
    this.machine = new RoomStateMachine(options.roomId, callbacks.stateChanged, log);
    this.#messages = this.doc.getArray(MESSAGES_KEY);
    this.#attributes = this.doc.getMap(ATTRIBUTES_KEY);
    this.#meta = this.doc.getMap(META_KEY);
    this.#roles = this.doc.getMap(ROLES_KEY);
    this.#bans = this.doc.getMap(BANS_KEY);
    this.#messages.observe(this.#onMessages);
    this.#attributes.observe(this.#onAttributes);
    for (const map of [this.#meta, this.#roles, this.#bans]) map.observe(this.#onModeration);
  }

  get isHost(): boolean {
    return this.#meta.get('host') === this.#options.user.userId;
  }

  /**
   * What the creator of a room gives it: the host role, its name and its first attributes
   * [R-21] (checked by the caller), in one update.
   */
  establish(name: string | undefined, attributes: Record<string, string>): void {
    this.doc.transact(() => {
      this.#meta.set('host', this.#options.user.userId);
      if (name !== undefined) this.#meta.set('name', name);
      for (const [key, value] of Object.entries(attributes)) this.#attributes.set(key, value);
    });
  }

  /** The name its creator gave the room, if any (peer input: read within the limit). */
  get roomName(): string | undefined {
    const name = this.#meta.get('name');
    return typeof name === 'string' && utf8Length(name) <= MAX_ROOM_NAME_BYTES ? name : undefined;
  }

  /**
   * interactor ⇄ audience for oneself, or for anyone by the host; 'host' hands the host role
   * over (host only).
   */
  setRole(role: Role, memberId?: string): void {
    const target = memberId === undefined ? this.#localMember() : this.#memberById(memberId);
    const isSelf = target.isLocal;
    if (role === 'host' || !isSelf) this.#assertHost();
    if (role === 'host') {
      this.#meta.set('host', target.userId);
      return;
    }
    if (isSelf && this.isHost) {
      throw new RoomError(ErrorCode.ROLE_FORBIDDEN, 'the host hands the host role to someone else before changing their own role', this.roomId);
    }
    this.#roles.set(target.userId, role);
  }

  /** Every honest member drops the kicked one, who ends disconnected(kicked). */
  kick(memberId: string): void {
    this.#assertHost();
    const target = this.#memberById(memberId);
    if (target.isLocal) throw new RoomError(ErrorCode.ROLE_FORBIDDEN, 'the host cannot kick themselves', this.roomId);
    this.#bans.set(target.userId, Date.now() + BAN_DURATION_MS);
  }

  /** Ends the room for everyone in it, the host included: disconnected(room-closed). */
  close(): void {
    this.#assertHost();
    this.#meta.set('closedAt', Date.now());
  }

  #assertHost(): void {
    if (!this.isHost) throw new RoomError(ErrorCode.NOT_HOST, 'only the host may do this', this.roomId);
  }

  #localMember(): Member {
    return this.#members.get(this.#provider!.awareness.clientID)!;
  }

  #memberById(memberId: string): Member {
    const member = [...this.#members.values()].find((m) => m.memberId === memberId);
    if (!member) throw new RoomError(ErrorCode.MEMBER_NOT_FOUND, `no member "${memberId}" in this room`, this.roomId);
    return member;
  }

  /** A member as this room's document says: its effective role, or null while banned. */
  #readMember(clientId: number, state: unknown, localClientId: number): Member | null {
    const member = toMember(clientId, state, localClientId);
    if (!member || (!member.isLocal && isBanned(member.userId, this.#bans, Date.now()))) return null;
    const view = { host: this.#meta.get('host') as string | undefined, roles: this.#roles };
    return { ...member, role: effectiveRole(member.userId, member.role, view) };
  }

  readonly #onModeration = (): void => {
    const awareness = this.#provider?.awareness;
    if (!awareness || this.#ended) return;
    const local = this.#members.get(awareness.clientID);
    if (local && isBanned(local.userId, this.#bans, Date.now())) return this.#end('kicked');
    if (local && closedFor(this.#meta.get('closedAt'), local.joinedAt)) return this.#end('room-closed');
    const kicked: Member[] = [];
    for (const [clientId, known] of this.#members) {
      const current = this.#readMember(clientId, awareness.getStates().get(clientId), awareness.clientID);
      if (!current) {
        this.#members.delete(clientId);
        kicked.push(known);
      } else if (current.role !== known.role) {
        this.#members.set(clientId, current);
        this.#callbacks.roleChanged(current, known.role);
        this.#callbacks.memberUpdated(current);
      }
    }
    if (kicked.length > 0) this.#callbacks.membersLeft(kicked, 'kicked');
  };

  #end(reason: EndReason): void {
    this.#ended = true;
    this.#callbacks.ended(reason);
  }

  /** This tab's member id in this room: its awareness client id, the document's. */
  /** Tabs of this browser in the room: y-webrtc reaches them over BroadcastChannel, not a data connection. */
  get sameBrowserPeers(): number {
    const room = this.#provider?.room as { bcConns?: Set<string> } | null | undefined;
    return room?.bcConns?.size ?? 0;
  }

  get localMemberId(): string {
    return String(this.doc.clientID);
  }

  /** This member's role as the room's document has it. */
  get localRole(): Role {
    return this.#members.get(this.doc.clientID)?.role ?? this.#options.role;
  }

  /** Tells the room which streams this member publishes: part of its awareness state. */
  announceStreams(streams: StreamInfo[]): void {
    this.#provider?.awareness.setLocalStateField('streams', writeStreams(streams));
  }

  get members(): Member[] {
    return [...this.#members.values()];
  }

  /** Chat history in the order every member sees; entries that are not messages are skipped. */
  get messages(): ChatMessage[] {
    return this.#messages.toArray().flatMap((entry) => toChatMessage(entry) ?? []);
  }

  get attributes(): Record<string, string> {
    return readAttributes(this.#attributes.entries(), ROOM_ATTRIBUTE_LIMITS);
  }

  /** Appends a chat message; the caller has checked its content. */
  sendMessage(content: string | CustomContent): ChatMessage {
    const awareness = this.#provider!.awareness;
    const local = this.#members.get(awareness.clientID)!;
    const message: ChatMessage = {
      // Unique without coordination: the doc's client id is unique per tab and room.
      id: `${awareness.clientID.toString(36)}-${(++this.#messageCounter).toString(36)}`,
      from: { memberId: local.memberId, userId: local.userId, userName: local.userName },
      ts: Date.now(),
      ...(typeof content === 'string' ? { text: content } : { custom: { type: content.type, payload: content.payload ?? null } }),
    };
    this.#messages.push([message]);
    return message;
  }

  /** Sets and deletes room attributes in one transaction, after checking the limits. */
  changeAttributes(updates: Record<string, unknown>, deletions: string[]): void {
    const current = new Map(Object.entries(this.attributes));
    assertAttributeChange(current, updates, deletions, ROOM_ATTRIBUTE_LIMITS, this.roomId);
    this.doc.transact(() => {
      for (const key of deletions) this.#attributes.delete(key);
      for (const [key, value] of Object.entries(updates)) this.#attributes.set(key, value);
    });
  }

  /** Merges into this member's attributes; `null` deletes a key. */
  changeMemberAttributes(updates: Record<string, string | null>): void {
    const awareness = this.#provider!.awareness;
    const state = awareness.getLocalState() as AwarenessState;
    const deletions = Object.keys(updates).filter((key) => updates[key] === null);
    const sets = Object.fromEntries(Object.entries(updates).filter(([, value]) => value !== null));
    assertAttributeChange(new Map(Object.entries(state.attributes)), sets, deletions, MEMBER_ATTRIBUTE_LIMITS, this.roomId);
    const attributes = { ...state.attributes, ...sets };
    for (const key of deletions) delete attributes[key];
    awareness.setLocalStateField('attributes', attributes);
  }

  /**
   * Opens the provider and resolves once the relay carries this room's signaling: the state is
   * then connected(entered). Rejects (and leaves the room disconnected) if that does not happen.
   *
   * `admission`: the relay's answer to this member entering (the presence request, client.ts).
   * It names the IndexedDB database that keeps this life of the room in this browser
   * (local-history.ts), or null to keep nothing. If it rejects, start() rejects with its
   * error. The request is either asked on y-webrtc's socket in place of its subscription
   * (`signalingEnter`, signaling-enter.ts), or was asked elsewhere (the client's relay link):
   * then the provider's socket connects but sends nothing about the room until the answer
   * (subscription-hold.ts).
   */
  async start(
    reason: 'entering' | 'switching',
    timeoutMs: number,
    admission: Promise<{ historyDatabase: string | null }>,
    signalingEnter?: SignalingEnter,
  ): Promise<void> {
    this.machine.set('connecting', reason);
    const createProvider = this.#options.createProvider ?? createWebrtcProvider;
    const provider = createProvider(this.roomId, this.doc, {
      signaling: this.#options.signalingUrls(),
      password: this.#options.password,
      maxConns: FULL_MESH_MAX_CONNS,
      peerOpts: this.#options.peerOpts,
    });
    this.#provider = provider;
    // Before anything else: y-webrtc subscribes on its next microtask (once its room key is
    // ready), and its socket, new with the tab's first room, opens later still.
    for (const socket of provider.signalingConns) watchRelay(socket);
    const entering = signalingEnter ? provider.signalingConns[0] : undefined;
    if (signalingEnter && entering) {
      this.#signalingEnter = signalingEnter;
      signalingEnter.attach(entering);
    }
    const holds = provider.signalingConns.filter((socket) => socket !== entering).map((socket) => holdSubscription(socket, this.roomId));
    const awareness = provider.awareness;
    const admitted = admission.then(
      ({ historyDatabase }) => {
        if (this.#provider !== provider) {
          // Stopped meanwhile: nothing of it may reach the relay now.
          for (const hold of holds) hold.drop();
          return;
        }
        // The member appears (to itself first: memberJoined) only once the relay let it in;
        // then the members already heard of.
        this.#admitted = true;
        awareness.setLocalState({ user: this.#options.user, role: this.#options.role, joinedAt: Date.now(), attributes: {} } satisfies AwarenessState);
        this.#recordLocal();
        this.#onAwarenessChange({ added: [...awareness.getStates().keys()], updated: [], removed: [] }, 'admitted');
        for (const hold of holds) hold.release();
        // This browser's stored copy loads while peers are reached, not before (measured
        // ~0.4 s off entering): Yjs merges it whenever it arrives.
        return this.#loadLocalHistory(historyDatabase);
      },
      (error: unknown) => {
        for (const hold of holds) hold.drop();
        throw error;
      },
    );
    // The tab's socket for this relay may be one a failover paused (relay-failover.ts).
    if (isSwitchable(provider)) for (const socket of provider.signalingConns) socket.connect();
    this.#gateSignaling(provider);
    awareness.on('change', this.#onAwarenessChange);
    this.#ticker = setInterval(this.#tick, TICK_MS);
    await Promise.all([this.#signalingReady(provider, timeoutMs), admitted]);
    // A ban already in the document (this browser's stored copy) raises no change event later,
    // when peers sync the same ban: judge it now that the local member exists.
    this.#onModeration();
    this.machine.set('connected', 'entered');
    const socket = this.#signalingSocket();
    if (socket) this.#followSignaling(socket);
    // Members already present are reported on entry; those seen so far are reported
    // by the awareness handler as they arrive.
  }

  /**
   * Resolves once the relay has processed this room's subscription on y-webrtc's own socket:
   * a `ping` sent after it is answered after it. Until then the client keeps its presence
   * membership (relay-link.ts) so the room never looks empty to the relay.
   */
  async subscribed(timeoutMs = HANDOFF_TIMEOUT_MS): Promise<void> {
    const socket = this.#signalingSocket();
    if (!socket?.connected) return;
    await new Promise<void>((resolve) => {
      const timer = setTimeout(done, timeoutMs);
      function onMessage(message: { type?: string }) {
        if (message.type === 'pong') done();
      }
      function done() {
        clearTimeout(timer);
        socket!.off('message', onMessage);
        resolve();
      }
      socket.on('message', onMessage);
      socket.send({ type: 'ping' });
    });
  }

  /**
   * Leaves for real: the provider is destroyed (its awareness removal tells the others at once)
   * and the tab-wide y-webrtc room registry forgets the name, so entering again works
   * (DESIGN.md §2: two providers for one name throw inside a promise).
   */
  async stop(reason: StateReason): Promise<void> {
    const provider = this.#provider;
    this.#provider = null;
    this.#signalingEnter?.cancel();
    clearInterval(this.#ticker);
    this.#unfollowSignaling();
    this.#messages.unobserve(this.#onMessages);
    this.#attributes.unobserve(this.#onAttributes);
    for (const map of [this.#meta, this.#roles, this.#bans]) map.unobserve(this.#onModeration);
    this.#ungate();
    if (provider) {
      provider.awareness.off('change', this.#onAwarenessChange);
      if (isYWebrtcRoom(provider.room)) leaveQuietly(provider.room);
      provider.destroy();
      // destroy() removes the room from y-webrtc's registry in a callback on the same key
      // promise; awaiting it afterwards runs after that callback.
      await provider.key;
    }
    this.doc.destroy();
    this.#members.clear();
    if (this.machine.isLive) this.machine.set('disconnected', reason);
  }

  readonly #tick = (): void => {
    const awareness = this.#provider?.awareness;
    if (!awareness) return;
    if (++this.#ticks % BEAT_EVERY_TICKS === 0) awareness.setLocalStateField('beat', this.#ticks);
    const now = Date.now();
    const silent: number[] = [];
    for (const [clientId, meta] of awareness.meta) {
      if (clientId !== awareness.clientID && awareness.states.has(clientId) && now - meta.lastUpdated > SILENCE_TIMEOUT_MS) silent.push(clientId);
    }
    if (silent.length > 0) forgetSilentMembers(awareness, silent);
    this.#stuckConnections.check(this.#provider?.room, now);
    this.#checkGiveUp(now);
  };

  #checkGiveUp(now: number): void {
    const alone = this.machine.state === 'reconnecting' && this.#members.size <= 1;
    if (!alone) {
      this.#aloneSince = null;
      return;
    }
    this.#aloneSince ??= now;
    if (now - this.#aloneSince >= GIVE_UP_ALONE_MS && !this.#ended) this.#end('reconnect-failed');
  }

  /** Whether the room can be moved to another relay (y-webrtc; not the tests' memory network). */
  get canFailover(): boolean {
    return this.#provider !== null && isSwitchable(this.#provider);
  }

  signalingConnectedTo(url: string): boolean {
    const socket = this.#signalingSocket() as (SignalingSocket & { url?: string }) | undefined;
    return socket?.connected === true && socket.url === url;
  }

  pauseSignaling(): void {
    const socket = this.#signalingSocket();
    if (socket && this.canFailover) pauseSocket(socket);
  }

  /**
   * Signals through the relay at `url` from now on (relay-failover.ts has entered presence
   * there): resolves once the relay has processed the room's subscription. The room goes
   * connected(reconnected) when the socket connects. Peer connections are left alone.
   */
  async moveSignaling(url: string, timeoutMs: number): Promise<void> {
    const provider = this.#provider;
    if (!provider || !isSwitchable(provider)) return;
    const socket = pointAt(provider, url);
    if (isYWebrtcRoom(provider.room) && isGateableSocket(socket)) gateSocket(socket);
    this.#followSignaling(socket);
    await whenSocketConnected(socket, timeoutMs);
    if (this.machine.state === 'reconnecting') this.machine.set('connected', 'reconnected');
    await this.subscribed();
  }

  /**
   * The relay going away is network loss for the room [R-50]: reconnecting(network-lost) until
   * a signaling socket is back, then connected(reconnected). Peers already connected keep
   * talking over WebRTC meanwhile; Yjs catches up whatever was missed. A y-webrtc socket is
   * stopped when lost and the client moves it (to the next relay, relay-failover.ts); other
   * transports' sockets retry by themselves.
   */
  #followSignaling(socket: SignalingSocket): void {
    this.#unfollowSignaling();
    const onLost = () => {
      if (this.machine.state === 'connected') this.machine.set('reconnecting', 'network-lost');
    };
    const onDisconnect = () => {
      onLost();
      if (!this.canFailover) return;
      pauseSocket(socket);
      this.#callbacks.signalingLost?.();
    };
    const onConnect = () => {
      if (this.machine.state === 'reconnecting') this.machine.set('connected', 'reconnected');
    };
    // A browser gone offline keeps its WebSocket open but frozen (Chromium holds even the close
    // event until it is back), so the socket alone would say nothing for as long as it lasts.
    const onOnline = () => {
      if (socket.connected) onConnect();
    };
    const events = typeof window === 'undefined' ? undefined : window;
    socket.on('disconnect', onDisconnect);
    socket.on('connect', onConnect);
    events?.addEventListener('offline', onLost);
    events?.addEventListener('online', onOnline);
    this.#unfollowSignaling = () => {
      socket.off('disconnect', onDisconnect);
      socket.off('connect', onConnect);
      events?.removeEventListener('offline', onLost);
      events?.removeEventListener('online', onOnline);
    };
  }

  #unfollowSignaling = (): void => {};

  /**
   * Glare between two members is settled before y-webrtc sees it (announce-gate.ts): the room
   * and its sockets are gated as soon as y-webrtc has the room (its `status` event follows at
   * once, before any relay message for the room can arrive: those answer the subscription it
   * sends then).
   */
  #gateSignaling(provider: RoomProvider): void {
    const trace = this.#options.trace ?? NO_TRACE;
    const stopTracing = trace === NO_TRACE ? () => {} : traceDataConnections(provider, this.roomId, trace);
    const added = this.#options.dataConnectionAdded;
    const stopWatching = added ? watchDataConnections(provider, added) : () => {};
    const onStatus = () => {
      const room = provider.room;
      if (!isYWebrtcRoom(room)) return;
      provider.off('status', onStatus);
      for (const socket of provider.signalingConns) if (isGateableSocket(socket)) gateSocket(socket);
      gateRoom(room, trace);
      trace('data-peer-id', { roomId: this.roomId, peer: room.peerId, memberId: this.localMemberId });
      this.#ungate = () => {
        ungateRoom(room);
        stopTracing();
        stopWatching();
      };
    };
    this.#ungate = () => {
      provider.off('status', onStatus);
      stopTracing();
      stopWatching();
    };
    provider.on('status', onStatus);
    onStatus();
  }

  #ungate = (): void => {};

  /**
   * With persistence on, the document is kept in IndexedDB (y-indexeddb), one database per life
   * of the room (local-history.ts), so a reload shows the history at once, and what this tab
   * sent while nobody else was there is delivered when they come. The stored copy is plain text on this device, also for
   * password rooms: the password protects what crosses the network, not this browser's disk.
   */
  async #loadLocalHistory(database: string | null): Promise<void> {
    if (database === null || typeof indexedDB === 'undefined') return;
    // Destroyed together with the document (y-indexeddb listens for doc.destroy()).
    const persistence = new IndexeddbPersistence(database, this.doc);
    await within(persistence.whenSynced, PERSISTENCE_LOAD_TIMEOUT_MS);
  }

  #signalingSocket(): SignalingSocket | undefined {
    return this.#provider?.signalingConns[0];
  }

  #signalingReady(provider: RoomProvider, timeoutMs: number): Promise<void> {
    return new Promise<void>((resolve, reject) => {
      const sockets = provider.signalingConns;
      const check = () => {
        if (provider.room && sockets.some((socket) => socket.connected)) finish();
      };
      const timer = setTimeout(() => finish(new Error('relay unreachable')), timeoutMs);
      const finish = (error?: Error) => {
        clearTimeout(timer);
        for (const socket of sockets) socket.off('connect', check);
        provider.off('status', check);
        if (error) reject(error);
        else resolve();
      };
      for (const socket of sockets) socket.on('connect', check);
      provider.on('status', check);
      void Promise.resolve(provider.key).then(check);
    });
  }

  #recordLocal(): void {
    const awareness = this.#provider!.awareness;
    const member = this.#readMember(awareness.clientID, awareness.getLocalState(), awareness.clientID);
    if (member) this.#members.set(awareness.clientID, member);
  }

  readonly #onAwarenessChange = (
    { added, updated, removed }: { added: number[]; updated: number[]; removed: number[] },
    origin: unknown,
  ): void => {
    const awareness = this.#provider?.awareness;
    // Before admission peers can already be heard (entering on y-webrtc's socket, the announce
    // does not wait for the answer): they are reported after the member itself.
    if (!awareness || !this.#admitted) return;
    const joined: Member[] = [];
    const changed: Member[] = [];
    for (const clientId of [...added, ...updated]) {
      const member = this.#readMember(clientId, awareness.getStates().get(clientId), awareness.clientID);
      if (!member) continue;
      const known = this.#members.get(clientId);
      this.#members.set(clientId, member);
      if (!known) joined.push(member);
      else if (memberChanged(known, member)) changed.push(member);
    }
    const left: Member[] = [];
    for (const clientId of removed) {
      const member = this.#members.get(clientId);
      if (member && !member.isLocal) {
        this.#members.delete(clientId);
        left.push(member);
      }
    }
    if (joined.length > 0) this.#callbacks.membersJoined(joined);
    for (const member of changed) this.#callbacks.memberUpdated(member);
    if (left.length > 0) this.#callbacks.membersLeft(left, leaveReason(origin));
  };

  /**
   * Reports new messages with their place in the history. Concurrent sends can put a message
   * before ones already shown, so every member sees the same order only if a UI inserts
   * each message at `index` rather than appending it.
   */
  readonly #onMessages = (event: Y.YArrayEvent<unknown>): void => {
    // The delta lists inserts in document order, whoever wrote them (local sends included).
    let position = 0;
    for (const change of event.delta) {
      if (change.retain !== undefined) position += change.retain;
      if (!Array.isArray(change.insert)) continue;
      for (const entry of change.insert) {
        const message = toChatMessage(entry);
        if (message) this.#callbacks.message(message, this.#historyIndex(position));
        else this.#skippedEntries++;
        position++;
      }
    }
  };

  /** Entries that are not messages (peer input) are not in the history: count them out. */
  #historyIndex(position: number): number {
    if (this.#skippedEntries === 0) return position;
    return this.#messages
      .toArray()
      .slice(0, position)
      .filter((entry) => toChatMessage(entry) !== null).length;
  }

  readonly #onAttributes = (event: Y.YMapEvent<unknown>): void => {
    const updated: Record<string, string> = {};
    const deleted: string[] = [];
    const valid = this.attributes;
    // Whether the key's value before this change was one we showed: a shown attribute that a
    // peer overwrote with junk is gone for the snapshot, so it is reported deleted too, and a
    // view kept from these events stays equal to the snapshot (peer input, SECURITY.md).
    const wasShown = (key: string): boolean => {
      const change = event.changes.keys.get(key);
      if (change === undefined || change.action === 'add') return false;
      return Object.hasOwn(readAttributes([[key, change.oldValue]], ROOM_ATTRIBUTE_LIMITS), key);
    };
    for (const key of event.keysChanged) {
      // Own keys only: `in` also finds Object.prototype's, so a peer's junk under "toString"
      // was reported as that attribute with a function for its value.
      if (Object.hasOwn(valid, key)) updated[key] = valid[key];
      else if (wasShown(key)) deleted.push(key);
    }
    if (Object.keys(updated).length > 0 || deleted.length > 0) this.#callbacks.attributesChanged(updated, deleted);
  };
}
