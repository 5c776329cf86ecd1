/**
 * `createRoomClient` (SPEC §3): one identity, up to `maxRooms` rooms at once, each a
 * Room. Every operation validates before any network work and either succeeds or throws a
 * RoomError, changing nothing.
 */
import { Emitter } from './events.js';
import { ErrorCode, RoomError } from './errors.js';
import { RelayLink, type EnteredRoom, type EnterMode, type WebSocketFactory } from './relay-link.js';
import { RelayFailover } from './relay-failover.js';
import { Room, type EndReason } from './room.js';
import type { CreateRoomProvider } from './room-provider.js';
import type { StateChange } from './room-state.js';
import type { LeaveReason, Member, Role } from './members.js';
import { assertRoomId, assertRoomName, assertUser, type User } from './validation.js';
import { ROOM_ATTRIBUTE_LIMITS, assertAttributeChange, assertMessageContent, type ChatMessage, type CustomContent } from './schema.js';
import { MAX_DESTROY_DELAY_SECONDS } from './limits.js';
import { passwordKeyCheck } from './password.js';
import { SignalingEnter } from './signaling-enter.js';
import { within } from './within.js';
import { createChunkingWrtc } from './chunking-rtc.js';
import { ClientMedia, type MediaEvents, type PublishOptions } from '../media/client-media.js';
import { createCountingWrtc, type PeerConnectionCount } from '../media/peer-connections.js';
import { createHalfTrickleWrtc } from '../media/candidates.js';
import { createMediaLinesWrtc } from '../media/media-lines.js';
import type { StreamEvent } from '../media/room-media.js';
import type { TrackKind } from '../media/media-hub.js';
import { NO_TRACE, type Trace } from './trace.js';
import { LocalHistory } from './local-history.js';

export interface RoomClientOptions {
  user: User;
  /**
   * Relay URL(s), e.g. `wss://rooms.example/relay`. Several must be equivalent relays (one
   * cluster on Redis ): they are used one at a time, and when the one in use dies the
   * client moves to the next, round robin, without dropping its peer connections.
   */
  signaling: string | string[];
  iceServers?: RTCIceServer[];
  /** Rooms this client may be in at once. */
  maxRooms?: number;
  /**
   * What this client may send on all its media connections together, in bits per second
   * (default 2.5 Mbps): each copy of a stream gets a share, and the share sets its resolution
   * and frame rate (media/encoding-policy.ts).
   */
  uploadBudgetBps?: number;
  /** Extra simple-peer options, merged under ours. */
  peerOpts?: Record<string, unknown>;
  /** How long entering may take before it fails with RELAY_UNREACHABLE. */
  connectTimeoutMs?: number;
  /** Keep each room's history in this browser (IndexedDB) so a reload shows it; default true. */
  persistHistory?: boolean;
  /** For Node tests: how to open a WebSocket to the relay. */
  connectWebSocket?: WebSocketFactory;
  /**
   * For tests and alternative transports: what syncs each room's document instead of y-webrtc
   * (room-provider.ts says what it must do). The relay link above still answers create/join.
   */
  createProvider?: CreateRoomProvider;
  log?: (line: string) => void;
  /**
   * Called with each step of entering a room and connecting its data and media (relay entry,
   * announces, connections created and connected…), for finding where the time goes
   * (`npm run bench:media -- --trace`). Off by default.
   */
  trace?: Trace;
}

export interface RoomInfo {
  roomId: string;
  roomName?: string;
}

export interface RoomConfig {
  /** What to call the room (≤ 64 bytes), set by whoever creates it; `room(id).roomName`. */
  roomName?: string;
  /**
   * The room's first attributes (as setRoomAttributes, same limits), set by whoever creates it;
   * entering a room that exists leaves its attributes as they are.
   */
  attributes?: Record<string, string>;
  password?: string;
  /** Seconds the room outlives its last member, 0–10800. */
  destroyDelay?: number;
  /** interactor (default) or audience. */
  role?: Exclude<Role, 'host'>;
}

export interface SwitchOptions {
  /** Create the new room when it does not exist (otherwise ROOM_NOT_FOUND). */
  createIfMissing?: boolean;
  config?: RoomConfig;
}

export interface RoomClientEvents extends MediaEvents {
  stateChanged: StateChange & { roomId: string };
  memberJoined: { roomId: string; members: Member[] };
  memberLeft: { roomId: string; members: Member[]; reason: LeaveReason };
  memberUpdated: { roomId: string; member: Member };
  /** `index`: its place in `room(roomId).messages`; insert it there to show everyone one order. */
  message: ChatMessage & { roomId: string; index: number };
  attributesChanged: { roomId: string; updated: Record<string, string>; deleted: string[] };
  roleChanged: { roomId: string; member: Member; previous: Role };
}

export interface RoomSnapshot {
  roomId: string;
  state: StateChange['state'] | null;
  members: Member[];
  attributes: Record<string, string>;
  /** The name its creator gave the room, once this member has the room's state; undefined if none. */
  roomName?: string;
  messages: ChatMessage[];
  /** Streams others publish in the room (this member's own are in its Member entry). */
  streams: StreamEvent[];
}

export const DEFAULT_MAX_ROOMS = 5;
const DEFAULT_CONNECT_TIMEOUT_MS = 15_000;

export class RoomClient {
  readonly user: User;
  readonly maxRooms: number;
  readonly #events = new Emitter<RoomClientEvents>();
  readonly #rooms = new Map<string, Room>();
  /** Rooms being entered or left right now: they count against the limit and block a second call. */
  readonly #busy = new Set<string>();
  /** Kicked or closed while still being entered: ended as soon as the enter completes. */
  readonly #pendingEnds = new Map<Room, EndReason>();
  readonly #peerOpts: Record<string, unknown>;
  readonly #connectTimeoutMs: number;
  readonly #link: RelayLink;
  readonly #failover: RelayFailover;
  readonly #log: (line: string) => void;
  readonly #persistHistory: boolean;
  /** Which stored history belongs to which life of a room [R-3][R-52]. */
  readonly #history = new LocalHistory();
  readonly #media: ClientMedia;
  readonly #createProvider: CreateRoomProvider | undefined;
  readonly #trace: Trace;

  constructor(options: RoomClientOptions) {
    assertUser(options.user);
    const urls = Array.isArray(options.signaling) ? options.signaling : [options.signaling];
    if (urls.length === 0 || urls.some((url) => typeof url !== 'string' || !/^wss?:\/\//.test(url))) {
      throw new RoomError(ErrorCode.INVALID_CONFIG, 'signaling must be one or more ws:// or wss:// URLs');
    }
    const maxRooms = options.maxRooms ?? DEFAULT_MAX_ROOMS;
    if (!Number.isInteger(maxRooms) || maxRooms < 1) throw new RoomError(ErrorCode.INVALID_CONFIG, 'maxRooms must be a positive integer');
    this.user = { userId: options.user.userId, userName: options.user.userName };
    this.maxRooms = maxRooms;
    // A long chat history is one document state bigger than Chromium's 256 KiB data-channel
    // message limit; our wrtc splits and joins such messages (chunking-rtc.ts).
    // Counted too: Chromium's ~500 connections per page are shared with the media mesh. And
    // half-trickled: first candidates ride in the offer or answer (candidates.ts).
    // Media lines ride on them too (media/media-lines.ts), bundled on one transport.
    const wrtc = typeof RTCPeerConnection === 'function' ? { wrtc: createChunkingWrtc({ base: createHalfTrickleWrtc(createMediaLinesWrtc(createCountingWrtc())) }) } : {};
    const config = { bundlePolicy: 'max-bundle', ...(options.peerOpts?.config as object | undefined), ...(options.iceServers ? { iceServers: options.iceServers } : {}) };
    this.#peerOpts = { ...wrtc, ...options.peerOpts, config };
    this.#connectTimeoutMs = options.connectTimeoutMs ?? DEFAULT_CONNECT_TIMEOUT_MS;
    this.#log = options.log ?? (() => {});
    this.#persistHistory = options.persistHistory ?? true;
    this.#createProvider = options.createProvider;
    this.#trace = options.trace ?? NO_TRACE;
    this.#link = new RelayLink({ url: urls, connect: options.connectWebSocket, timeoutMs: this.#connectTimeoutMs });
    this.#failover = new RelayFailover(this.#link, { moveTimeoutMs: this.#connectTimeoutMs, log: this.#log });
    if (options.uploadBudgetBps !== undefined && !(Number.isFinite(options.uploadBudgetBps) && options.uploadBudgetBps > 0)) {
      throw new RoomError(ErrorCode.INVALID_CONFIG, 'uploadBudgetBps must be a positive number of bits per second');
    }
    this.#media = new ClientMedia(this.#link, { iceServers: options.iceServers, uploadBudgetBps: options.uploadBudgetBps, trace: this.#trace }, (event, payload) =>
      this.#events.emit(event, payload as RoomClientEvents[typeof event]),
    );
  }

  on<K extends keyof RoomClientEvents>(event: K, listener: (payload: RoomClientEvents[K]) => void): () => void {
    return this.#events.on(event, listener);
  }

  /** Join, creating the room if it is missing. */
  enterRoom(info: RoomInfo, config: RoomConfig = {}): Promise<RoomSnapshot> {
    return this.#enter(info, config, 'any');
  }

  /** Create and join; ROOM_ALREADY_EXISTS if it exists. */
  createRoom(info: RoomInfo, config: RoomConfig = {}): Promise<RoomSnapshot> {
    return this.#enter(info, config, 'create');
  }

  /** Join an existing room only; ROOM_NOT_FOUND otherwise. */
  joinRoom(roomId: string, config: Omit<RoomConfig, 'destroyDelay' | 'roomName' | 'attributes'> = {}): Promise<RoomSnapshot> {
    return this.#enter({ roomId }, config, 'join');
  }

  /**
   * Connects to the new room, then leaves the old one; if the new room fails, it ends
   * disconnected(switch-failed) and the old one is untouched.
   */
  async switchRoom(fromId: string, to: RoomInfo, options: SwitchOptions = {}): Promise<RoomSnapshot> {
    if (!this.#rooms.has(fromId) || this.#busy.has(fromId)) throw new RoomError(ErrorCode.NOT_IN_ROOM, `not in room "${fromId}"`, fromId);
    // The old room is left right after, so the new one may take the limit one over for a moment.
    const snapshot = await this.#enter(to, options.config ?? {}, options.createIfMissing ? 'any' : 'join', 'switching', this.maxRooms + 1);
    await this.leaveRoom(fromId);
    return snapshot;
  }

  /** Sends chat text or a custom `{ type, payload }` message (at most 32 KiB). */
  async sendMessage(roomId: string, content: string | CustomContent): Promise<ChatMessage> {
    const room = this.#liveRoom(roomId);
    assertMessageContent(content, roomId);
    return room.sendMessage(content);
  }

  /** Sets room attributes (string → string); ATTRIBUTE_LIMIT past the documented limits. */
  async setRoomAttributes(roomId: string, attributes: Record<string, string>): Promise<void> {
    this.#liveRoom(roomId).changeAttributes(attributes, []);
  }

  async deleteRoomAttributes(roomId: string, keys: string[]): Promise<void> {
    this.#liveRoom(roomId).changeAttributes({}, keys);
  }

  /** Merges into my attributes in that room (hand raised…); `null` deletes a key. */
  async setMemberAttributes(roomId: string, attributes: Record<string, string | null>): Promise<void> {
    this.#liveRoom(roomId).changeMemberAttributes(attributes);
  }

  /** interactor ⇄ audience for me, or for `memberId` (host only); 'host' transfers the host role. */
  async setRole(roomId: string, role: Role, memberId?: string): Promise<void> {
    this.#liveRoom(roomId).setRole(role, memberId);
  }

  /** Host only: the member is dropped by everyone and cannot come back for a while. */
  async kick(roomId: string, memberId: string): Promise<void> {
    this.#liveRoom(roomId).kick(memberId);
  }

  /** Host only: everyone in the room, the host included, ends disconnected(room-closed). */
  async closeRoom(roomId: string): Promise<void> {
    this.#liveRoom(roomId).close();
  }

  /**
   * Announces a stream to the room's members, who may then play it. Nothing is sent
   * until someone does. One MediaStream may be published into several rooms: one
   * capture, several rooms. ROLE_FORBIDDEN for the audience, STREAM_ID_TAKEN when the
   * room has a stream of that id.
   */
  async publish(roomId: string, stream: MediaStream, options: PublishOptions): Promise<void> {
    this.#liveRoom(roomId);
    this.#media.publish(roomId, stream, options);
  }

  async unpublish(roomId: string, streamId: string): Promise<void> {
    this.#liveRoom(roomId);
    this.#media.unpublish(roomId, streamId);
  }

  /**
   * The MediaStream of a stream in the room, to put in a <video>: its tracks arrive (and, after
   * a broken connection, come back) by themselves; `playerState` tells how it goes.
   * This member's own stream is returned as it is. STREAM_NOT_FOUND otherwise.
   */
  play(roomId: string, streamId: string): MediaStream {
    this.#liveRoom(roomId);
    return this.#media.play(roomId, streamId);
  }

  async stopPlaying(roomId: string, streamId: string): Promise<void> {
    this.#liveRoom(roomId);
    this.#media.stopPlaying(roomId, streamId);
  }

  /** Mic or camera on/off (`track.enabled`) in every room the stream is published in; others see it. */
  async setTrackEnabled(stream: MediaStream, kind: TrackKind, enabled: boolean): Promise<void> {
    this.#media.setTrackEnabled(stream, kind, enabled);
  }

  /** Another camera or microphone for a published stream, without renegotiation (replaceTrack). */
  switchDevice(stream: MediaStream, kind: TrackKind, deviceId: string): Promise<void> {
    return this.#media.switchDevice(stream, kind, deviceId);
  }

  /** A room's media connections (optionally of one stream), for stats. */
  mediaConnections(roomId: string, streamId?: string): { outgoing: RTCPeerConnection[]; incoming: RTCPeerConnection[] } {
    return this.#media.peerConnections(roomId, streamId);
  }

  /** This page's RTCPeerConnections, data and media, created and still open. */
  get peerConnectionCount(): PeerConnectionCount {
    return this.#media.peerConnectionCount;
  }

  /** Leave; this room's publishing and playing only. */
  async leaveRoom(roomId: string): Promise<void> {
    const room = this.#rooms.get(roomId);
    if (!room || this.#busy.has(roomId)) throw new RoomError(ErrorCode.NOT_IN_ROOM, `not in room "${roomId}"`, roomId);
    this.#busy.add(roomId);
    this.#media.leave(roomId);
    this.#failover.remove(roomId);
    this.#history.left(roomId);
    try {
      await room.stop('left');
    } finally {
      this.#rooms.delete(roomId);
      this.#busy.delete(roomId);
      this.#pendingEnds.delete(room);
    }
  }

  /** Leaves every room of this tab and returns their ids. */
  async leaveAllRooms(): Promise<string[]> {
    const ids = [...this.#rooms.keys()].filter((id) => !this.#busy.has(id));
    await Promise.all(ids.map((id) => this.leaveRoom(id)));
    return ids;
  }

  /** The relay this client signals through now (one of `signaling`, round robin on failure). */
  get relayUrl(): string {
    return this.#link.url;
  }

  room(roomId: string): RoomSnapshot | undefined {
    const room = this.#rooms.get(roomId);
    return room && this.#snapshot(room);
  }

  get roomIds(): string[] {
    return [...this.#rooms.keys()];
  }

  /** Leaves every room and closes the relay link. */
  async destroy(): Promise<void> {
    await this.leaveAllRooms();
    this.#failover.close();
    this.#link.close();
  }

  async #enter(info: RoomInfo, config: RoomConfig, mode: EnterMode, startReason: 'entering' | 'switching' = 'entering', roomLimit = this.maxRooms): Promise<RoomSnapshot> {
    // Everything that can be checked locally is checked before any network work.
    const roomId = info?.roomId;
    assertRoomId(roomId);
    const roomName = config.roomName ?? info.roomName;
    assertRoomName(roomName, roomId);
    const attributes = config.attributes ?? {};
    assertAttributeChange(new Map(), attributes, [], ROOM_ATTRIBUTE_LIMITS, roomId);
    const destroyDelay = config.destroyDelay ?? 0;
    if (!Number.isInteger(destroyDelay) || destroyDelay < 0 || destroyDelay > MAX_DESTROY_DELAY_SECONDS) {
      throw new RoomError(ErrorCode.INVALID_CONFIG, `destroyDelay must be an integer from 0 to ${MAX_DESTROY_DELAY_SECONDS} seconds`, roomId);
    }
    if (this.#rooms.has(roomId) || this.#busy.has(roomId)) throw new RoomError(ErrorCode.ALREADY_IN_ROOM, `already in room "${roomId}"`, roomId);
    if (this.#rooms.size >= roomLimit) {
      throw new RoomError(ErrorCode.ROOM_LIMIT_EXCEEDED, `at most ${this.maxRooms} rooms at once`, roomId);
    }

    this.#busy.add(roomId);
    const room = new Room(
      {
        roomId,
        user: this.user,
        role: config.role ?? 'interactor',
        // One relay at a time: the one the link is on (relay-failover.ts).
        signalingUrls: () => [this.#link.url],
        password: config.password,
        peerOpts: this.#peerOpts,
        createProvider: this.#createProvider,
        trace: this.#trace,
        dataConnectionAdded: (pc) => this.#media.dataConnection(roomId, room.localMemberId, pc),
      },
      {
        stateChanged: (change) => this.#events.emit('stateChanged', { roomId, ...change }),
        membersJoined: (members) => {
          this.#media.membersChanged(roomId);
          this.#events.emit('memberJoined', { roomId, members });
        },
        membersLeft: (members, reason) => {
          this.#media.membersChanged(roomId);
          this.#events.emit('memberLeft', { roomId, members, reason });
        },
        memberUpdated: (member) => {
          this.#media.membersChanged(roomId);
          this.#events.emit('memberUpdated', { roomId, member });
        },
        message: (message, index) => this.#events.emit('message', { roomId, index, ...message }),
        attributesChanged: (updated, deleted) => this.#events.emit('attributesChanged', { roomId, updated, deleted }),
        roleChanged: (member, previous) => {
          this.#media.membersChanged(roomId);
          this.#events.emit('roleChanged', { roomId, member, previous });
        },
        ended: (reason) => void this.#end(roomId, room, reason),
        signalingLost: () => this.#failover.recover(),
      },
      this.#log,
    );
    this.#rooms.set(roomId, room);
    let heldByLink = false;
    // The media key (PBKDF2) is derived while the room is entered.
    const mediaKey = ClientMedia.key(config.password, roomId);
    mediaKey.catch(() => {});
    // The link carries the room's media signaling. Entering no longer needs it (enterRoom asks
    // on y-webrtc's socket), so it is opened now, alongside: the room's media topic must be
    // subscribed before this member's streams are announced, or the first play requests are
    // lost until the player's timeout (BENCHMARKS.md "Media": 17 s to see everyone).
    const linkOpen = this.#link.whenOpen().catch(() => {});
    const trace = this.#trace;
    try {
      trace('enter', { roomId });
      const keyCheck = passwordKeyCheck(config.password, roomId);
      // A stored copy of the room proposes its life (incarnation) to a relay that forgot it.
      const proposal = this.#persistHistory ? this.#history.proposal(roomId) : undefined;
      // enter: asked on y-webrtc's own socket, in place of its subscription, with its announce
      // right behind (signaling-enter.ts). create/join: asked on the client's relay link, and
      // nothing of the room leaves this client before the relay said yes (another tab of this
      // browser would see the member come and go over BroadcastChannel).
      const signalingEnter =
        mode === 'any'
          ? new SignalingEnter(roomId, keyCheck.then((check) => ({ mode, destroyDelay, keyCheck: check, incarnation: proposal })), this.#connectTimeoutMs)
          : undefined;
      const presence = signalingEnter?.answer ?? keyCheck.then((check) => this.#checkPresence(roomId, mode, destroyDelay, check, proposal));
      if (mode !== 'any') await presence;
      // The history stored for this life of the room; other lives' copies are dropped meanwhile.
      const admission = presence.then((entered) => ({
        historyDatabase: this.#persistHistory ? this.#history.entered(roomId, entered?.incarnation).database : null,
      }));
      const started = room.start(startReason, this.#connectTimeoutMs, admission, signalingEnter);
      started.catch(() => {});
      // A refusal (room not found, wrong password, …) is the error to report, not what it
      // did to start().
      const entered = await presence;
      // Entered on the link, the membership is the link's until y-webrtc's socket holds it too.
      heldByLink = entered !== null && !signalingEnter;
      trace('relay-entered', { roomId });
      await started.catch((err: unknown) => {
        throw new RoomError(ErrorCode.RELAY_UNREACHABLE, `could not reach the relay: ${String(err)}`, roomId);
      });
      trace('signaling-ready', { roomId, memberId: room.localMemberId });
      // Against a stock relay (entered null) nobody can tell who created the room.
      if (entered?.created) room.establish(roomName, attributes);
      if (heldByLink) {
        await room.subscribed();
        this.#link.leave(roomId);
      }
      await within(linkOpen, this.#connectTimeoutMs);
      this.#media.join(
        {
          roomId,
          localMemberId: room.localMemberId,
          members: () => room.members,
          localRole: () => room.localRole,
          announce: (streams) => room.announceStreams(streams),
          hasSameBrowserPeers: () => room.sameBrowserPeers > 0,
        },
        await mediaKey,
      );
      trace('entered', { roomId });
      // From now on the room follows the link from relay to relay, entering presence again
      // the way it was entered.
      if (room.canFailover) this.#failover.add(room, entered ? { destroyDelay: entered.destroyDelay, keyCheck: await keyCheck, incarnation: entered.incarnation } : null);
      return this.#snapshot(room);
    } catch (err) {
      this.#media.leave(roomId);
      if (heldByLink) this.#link.leave(roomId);
      this.#rooms.delete(roomId);
      const code = err instanceof RoomError ? err.code : ErrorCode.RELAY_UNREACHABLE;
      // A failed enter ends in disconnected(<error code>), a failed switch in
      // disconnected(switch-failed); then nothing is left of it.
      if (room.machine.state === null) room.machine.set('connecting', startReason);
      await room.stop(startReason === 'switching' ? 'switch-failed' : code === ErrorCode.WRONG_PASSWORD ? 'wrong-password' : code);
      throw err instanceof RoomError ? err : new RoomError(code, String(err), roomId);
    } finally {
      this.#busy.delete(roomId);
      const pendingEnd = this.#pendingEnds.get(room);
      this.#pendingEnds.delete(room);
      if (pendingEnd && this.#rooms.get(roomId) === room) void this.#end(roomId, room, pendingEnd);
    }
  }

  /**
   * Asks the relay on the client's link (create/join semantics need the presence extension
   * ); null when entering a stock relay, which cannot tell. A member it returns is held
   * by the link until y-webrtc's socket has subscribed too.
   */
  async #checkPresence(roomId: string, mode: EnterMode, destroyDelay: number, keyCheck: string, proposal: string | undefined): Promise<EnteredRoom | null> {
    try {
      return await this.#link.enter(roomId, mode, destroyDelay, keyCheck, proposal);
    } catch (err) {
      // A stock y-webrtc relay cannot say whether a room exists: entering still works there
      // (the room exists once someone is in it), creating and joining cannot be checked, and
      // nobody can be known as the creator, so such a room has no host.
      if (mode === 'any' && err instanceof RoomError && err.code === ErrorCode.PRESENCE_UNSUPPORTED) return null;
      throw err;
    }
  }

  /** Kicked, closed by the host, or lost for good (reconnect-failed): the room is gone for this client. */
  async #end(roomId: string, room: Room, reason: EndReason): Promise<void> {
    if (this.#rooms.get(roomId) !== room) return;
    if (this.#busy.has(roomId)) {
      this.#pendingEnds.set(room, reason);
      return;
    }
    this.#busy.add(roomId);
    this.#media.leave(roomId);
    this.#failover.remove(roomId);
    try {
      await room.stop(reason);
    } finally {
      this.#rooms.delete(roomId);
      this.#busy.delete(roomId);
    }
  }

  /** A room this client is in and connected (or reconnecting) to; NOT_IN_ROOM otherwise. */
  #liveRoom(roomId: string): Room {
    const room = this.#rooms.get(roomId);
    if (!room || this.#busy.has(roomId) || !room.machine.isLive) throw new RoomError(ErrorCode.NOT_IN_ROOM, `not in room "${roomId}"`, roomId);
    return room;
  }

  #snapshot(room: Room): RoomSnapshot {
    const { roomName } = room;
    return {
      roomId: room.roomId,
      state: room.machine.state,
      members: room.members,
      attributes: room.attributes,
      ...(roomName === undefined ? {} : { roomName }),
      messages: room.messages,
      streams: this.#media.streams(room.roomId),
    };
  }
}

export function createRoomClient(options: RoomClientOptions): RoomClient {
  return new RoomClient(options);
}
