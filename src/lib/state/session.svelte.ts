/**
 * The app's one session: who I am, the room client, the rooms this tab is in (up to 5)
 * and how they are laid out. Components read its runes and call its methods; only this file and
 * room-view.svelte.ts talk to the room client.
 */
import type { RoomClient, RoomConfig } from '$lib/rooms/client';
import { ErrorCode, RoomError, isRoomError } from '$lib/rooms/errors';
import { probeRelay, type RelayStatus } from '$lib/relay-probe';
import { loadAppConfig, type AppConfig } from '$lib/app-config';
import type { RoomView } from './room-view.svelte';
import type { ClassroomState } from './classroom.svelte';
import { LocalMedia } from './local-media.svelte';

type RoomRuntime = typeof import('./room-runtime');

export type Layout = 'tabs' | 'side-by-side';
export type JoinRole = 'interactor' | 'audience';

export interface JoinRequest {
  roomId: string;
  password?: string;
  role?: JoinRole;
  /** Create only, or join only; by default the room is created when nobody is in it. */
  mode?: 'enter' | 'create' | 'join';
}

/** Something went wrong: an error code the UI puts in words, and the room it concerns. */
export interface Problem {
  code: string;
  roomId?: string;
  detail?: string;
}

export interface RecentRoom {
  roomId: string;
  at: number;
}

const NAME_KEY = 'mesh-rooms.name';
const USER_ID_KEY = 'mesh-rooms.user-id';
const RECENT_KEY = 'mesh-rooms.recent';
const LAYOUT_KEY = 'mesh-rooms.layout';
const MAX_RECENT = 8;
/**
 * My streams' ids in a room. A stream id names one stream in the whole room [R-5] (`play` takes
 * only the id), so mine carry my member id there: with a plain 'cam' for everyone, playing a
 * remote 'cam' gave me back my own camera and microphone.
 */
export const cameraStreamId = (memberId: string) => `cam-${memberId}`;
export const screenStreamId = (memberId: string) => `screen-${memberId}`;

export class Session {
  userName = $state(localStorage.getItem(NAME_KEY) ?? '');
  readonly userId = stableUserId();
  rooms = $state.raw<RoomView[]>([]);
  activeRoomId = $state<string | null>(null);
  layout = $state<Layout>(localStorage.getItem(LAYOUT_KEY) === 'side-by-side' ? 'side-by-side' : 'tabs');
  /** Rooms being entered right now (progress for the lobby). */
  joining = $state.raw<string[]>([]);
  problems = $state.raw<Problem[]>([]);
  recent = $state.raw<RecentRoom[]>(loadRecent());
  config = $state.raw<AppConfig | null>(null);
  /** Whether a configured relay answered the last check (the lobby shows it). */
  relayStatus = $state<RelayStatus | 'checking'>('checking');
  readonly media = new LocalMedia();
  /** Passwords of rooms I am in, kept in memory only: breakout groups of a password room reuse it. */
  readonly passwords = new Map<string, string>();
  /** Breakout rooms of each room I am in that is not itself a group room. */
  classrooms = $state.raw<ReadonlyMap<string, ClassroomState>>(new Map());
  #client: RoomClient | null = null;
  /** The room code, loaded on first need (see room-runtime.ts); set before #client is. */
  #runtime: RoomRuntime | null = null;
  #runtimeLoading: Promise<RoomRuntime> | null = null;
  #screen: MediaStream | null = null;

  /**
   * A getter, not $derived: the session outlives the component that first asked for it (the
   * lobby's page), and a $derived owned by a destroyed component goes stale (derived_inert).
   */
  get activeRoom(): RoomView | null {
    return this.rooms.find((room) => room.roomId === this.activeRoomId) ?? this.rooms[0] ?? null;
  }

  get client(): RoomClient | null {
    return this.#client;
  }

  /**
   * Fetches the room code ahead of need (the lobby calls it once the person starts filling in
   * the form), so that pressing Join does not wait for it. A failed fetch is retried on the next
   * call: joining then reports it like any other problem.
   */
  preload(): Promise<RoomRuntime> {
    this.#runtimeLoading ??= import('./room-runtime').then(
      (runtime) => (this.#runtime = runtime),
      (error: unknown) => {
        this.#runtimeLoading = null;
        throw error;
      },
    );
    return this.#runtimeLoading;
  }

  setName(name: string): void {
    this.userName = name.trim();
    localStorage.setItem(NAME_KEY, this.userName);
  }

  setLayout(layout: Layout): void {
    this.layout = layout;
    localStorage.setItem(LAYOUT_KEY, layout);
  }

  room(roomId: string): RoomView | undefined {
    return this.rooms.find((room) => room.roomId === roomId);
  }

  /** Enters a room; on failure records a problem and returns false (nothing else changes). */
  async join(request: JoinRequest): Promise<boolean> {
    try {
      await this.enter(request);
      return true;
    } catch (error) {
      this.report(error, request.roomId);
      return false;
    }
  }

  /** Enters a room, or throws the RoomError that says why not (breakout groups use this). */
  async enter(request: JoinRequest): Promise<void> {
    const { roomId } = request;
    if (this.joining.includes(roomId) || this.room(roomId)) {
      this.activeRoomId = roomId;
      return;
    }
    this.joining = [...this.joining, roomId];
    this.dismissProblems(roomId);
    // Known before the room's first event, so its breakout groups get the same password.
    if (request.password) this.passwords.set(roomId, request.password);
    try {
      await this.#assertRelayReachable(roomId);
      const client = await this.#ensureClient();
      const config: RoomConfig = { password: request.password || undefined, role: request.role ?? 'interactor' };
      const mode = request.mode ?? 'enter';
      if (mode === 'create') await client.createRoom({ roomId }, config);
      else if (mode === 'join') await client.joinRoom(roomId, config);
      else await client.enterRoom({ roomId }, config);
      this.#adopt(roomId);
      this.activeRoomId = roomId;
      this.#remember(roomId);
      if ((request.role ?? 'interactor') === 'interactor') await this.#publishCamera(roomId);
    } catch (error) {
      if (!this.room(roomId)) this.passwords.delete(roomId);
      throw error;
    } finally {
      this.joining = this.joining.filter((id) => id !== roomId);
    }
  }

  async leave(roomId: string): Promise<void> {
    try {
      await this.#client?.leaveRoom(roomId);
    } catch (error) {
      this.report(error, roomId);
    }
    this.#drop(roomId);
  }

  async leaveAll(): Promise<void> {
    await this.#client?.leaveAllRooms();
    for (const room of this.rooms) this.#drop(room.roomId);
  }

  report(error: unknown, roomId?: string): void {
    const code = isRoomError(error) ? error.code : 'UNEXPECTED';
    this.#problem(code, roomId, error instanceof Error ? error.message : String(error));
  }

  #problem(code: string, roomId?: string, detail?: string): void {
    this.problems = [...this.problems.filter((problem) => problem.code !== code || problem.roomId !== roomId), { code, roomId, detail }];
  }

  dismissProblems(roomId?: string, code?: string): void {
    this.problems = this.problems.filter((problem) => problem.roomId !== roomId || (code !== undefined && problem.code !== code));
  }

  async sendMessage(roomId: string, text: string): Promise<boolean> {
    try {
      await this.#client!.sendMessage(roomId, text);
      return true;
    } catch (error) {
      this.report(error, roomId);
      return false;
    }
  }

  /** Runs a room operation, turning a failure into a problem shown in that room. */
  async act(roomId: string, operation: (client: RoomClient) => Promise<unknown>): Promise<void> {
    if (!this.#client) return;
    try {
      await operation(this.#client);
    } catch (error) {
      this.report(error, roomId);
    }
  }

  async setMic(room: RoomView, on: boolean): Promise<void> {
    if (!room.localStream?.getAudioTracks().length) return;
    await this.act(room.roomId, (client) => client.setTrackEnabled(room.localStream!, 'audio', on));
    room.micOn = on;
  }

  async setCamera(room: RoomView, on: boolean): Promise<void> {
    if (!room.localStream?.getVideoTracks().length) return;
    await this.act(room.roomId, (client) => client.setTrackEnabled(room.localStream!, 'video', on));
    room.cameraOn = on;
  }

  /** Audience ⇄ participant: an audience member stops publishing; a participant publishes again. */
  async setRole(room: RoomView, role: JoinRole): Promise<void> {
    await this.act(room.roomId, (client) => client.setRole(room.roomId, role));
    if (role === 'audience') this.#stopPublishing(room);
    else if (!room.localStream) await this.#publishCamera(room.roomId);
  }

  /** Shares the screen into a room as a second stream; it ends when the browser's "stop sharing" is pressed. */
  async shareScreen(roomId: string): Promise<void> {
    await this.act(roomId, async (client) => {
      const memberId = this.room(roomId)?.me?.memberId;
      if (!memberId) return;
      this.#screen ??= await (await this.preload()).openScreen();
      const screen = this.#screen;
      screen.getVideoTracks()[0]?.addEventListener('ended', () => (this.#screen = null), { once: true });
      await client.publish(roomId, screen, { streamId: screenStreamId(memberId), kind: 'screen' });
    });
  }

  /**
   * Cross-room co-hosting: shows a stream I receive in one room to the members of another
   * room I am in, by publishing it there under a name that says where it comes from.
   */
  async forward(fromRoomId: string, streamId: string, toRoomId: string): Promise<void> {
    const stream = this.room(fromRoomId)?.streams.find((candidate) => candidate.streamId === streamId);
    if (!stream?.media) return;
    await this.act(toRoomId, (client) => client.publish(toRoomId, stream.media!, { streamId: forwardedStreamId(fromRoomId, streamId), kind: stream.kind }));
  }

  /** Reads config.json (relay URLs, ICE servers) once; an invalid file is a problem shown to the person. */
  async loadConfig(): Promise<AppConfig | null> {
    if (this.config) return this.config;
    try {
      this.config = await loadAppConfig(new URL(window.location.href));
    } catch (error) {
      this.#problem('CONFIG', undefined, error instanceof Error ? error.message : String(error));
    }
    return this.config;
  }

  /** Asks every configured relay whether it answers; any one will do (the client fails over). */
  async checkRelay(): Promise<RelayStatus> {
    this.relayStatus = 'checking';
    const config = await this.loadConfig();
    const answers = config ? await Promise.all(config.signaling.map((url) => probeRelay(url))) : [];
    this.relayStatus = answers.includes('reachable') ? 'reachable' : 'unreachable';
    return this.relayStatus;
  }

  /**
   * Before the first room: when the lobby already found no relay, check again rather than let
   * the person wait out the client's connect timeout (15 s) to hear the same.
   */
  async #assertRelayReachable(roomId: string): Promise<void> {
    if (this.rooms.length > 0 || this.relayStatus !== 'unreachable') return;
    if ((await this.checkRelay()) === 'unreachable') throw new RoomError(ErrorCode.RELAY_UNREACHABLE, 'no configured relay answers', roomId);
  }

  async #ensureClient(): Promise<RoomClient> {
    // A new name takes effect with a new client, once I am in no room under the old one.
    if (this.#client && this.#client.user.userName !== this.userName && this.rooms.length === 0) {
      await this.#client.destroy();
      this.#client = null;
    }
    if (this.#client) return this.#client;
    this.config ??= await loadAppConfig(new URL(window.location.href));
    const { createRoomClient } = await this.preload();
    if (this.#client) return this.#client; // another join created it while the code loaded
    const client = createRoomClient({
      user: { userId: this.userId, userName: this.userName },
      signaling: this.config.signaling,
      iceServers: this.config.iceServers,
    });
    this.#wire(client);
    this.#client = client;
    return client;
  }

  /** Follows a room entered by anyone using this client (the lobby, an invite link, a breakout plan). */
  #adopt(roomId: string): RoomView {
    const existing = this.room(roomId);
    if (existing) return existing;
    const view = new this.#runtime!.RoomView(this.#client!, roomId);
    this.rooms = [...this.rooms, view];
    if (!this.groupOf(roomId)) this.#openClassroom(roomId);
    return view;
  }

  #drop(roomId: string): void {
    const room = this.room(roomId);
    if (!room) return;
    for (const track of room.localStream?.getTracks() ?? []) track.stop();
    this.rooms = this.rooms.filter((candidate) => candidate !== room);
    this.passwords.delete(roomId);
    const classroom = this.classrooms.get(roomId);
    if (classroom) {
      classroom.destroy();
      const next = new Map(this.classrooms);
      next.delete(roomId);
      this.classrooms = next;
    }
    if (this.activeRoomId === roomId) this.activeRoomId = this.rooms[0]?.roomId ?? null;
  }

  /**
   * Whether I moderate this room (close it, remove members, pass the host role, set the topic).
   * A breakout group's host is whichever student entered first; moderating the group is the
   * teacher's job, so a student host does not get those controls.
   */
  moderates(room: RoomView): boolean {
    return room.isHost && !this.#isStudentHostOfGroup(room);
  }

  /** A student who is host of a breakout group: the one who opened it. */
  #isStudentHostOfGroup(room: RoomView): boolean {
    const group = this.groupOf(room.roomId);
    return room.isHost && group !== null && !group.classroom.isHost;
  }

  /**
   * A student who is host of a breakout group hands the host role to the teacher (the main
   * room's host) as soon as the teacher comes to visit: the teacher can then moderate the group.
   */
  #handGroupToTeacher(room: RoomView): void {
    if (!this.#isStudentHostOfGroup(room)) return;
    const mainRoomId = this.groupOf(room.roomId)!.classroom.mainRoomId;
    const teacher = this.room(mainRoomId)?.members.find((member) => member.role === 'host');
    const visiting = teacher && room.members.find((member) => !member.isLocal && member.userId === teacher.userId);
    if (visiting) void this.act(room.roomId, (client) => client.setRole(room.roomId, 'host', visiting.memberId));
  }

  /** The classroom whose breakout group this room is, and the group's number (0-based). */
  groupOf(roomId: string): { classroom: ClassroomState; index: number } | null {
    for (const classroom of this.classrooms.values()) {
      const index = classroom.groupIndexOfRoom(roomId);
      if (index !== null) return { classroom, index };
    }
    return null;
  }

  #openClassroom(roomId: string): void {
    const classroom = new this.#runtime!.ClassroomState(this.#client!, roomId, {
      password: this.passwords.get(roomId),
      // Group rooms are entered like any other room: on screen, with my camera in them.
      enterRoom: (groupRoomId, config) => this.enter({ roomId: groupRoomId, password: config.password }),
      leaveRoom: (groupRoomId) => this.leave(groupRoomId),
    });
    this.classrooms = new Map(this.classrooms).set(roomId, classroom);
  }

  async #publishCamera(roomId: string): Promise<void> {
    await this.media.ready();
    const room = this.room(roomId);
    // My member id there (one per tab per room): entering refreshed the room's view with it.
    const memberId = room?.me?.memberId;
    const stream = room && memberId ? this.media.cloneForRoom() : null;
    if (!room || !memberId || !stream) return;
    try {
      await this.#client!.publish(roomId, stream, { streamId: cameraStreamId(memberId), kind: stream.getVideoTracks().length ? 'camera' : 'audio' });
      room.localStream = stream;
      room.micOn = stream.getAudioTracks().some((track) => track.enabled);
      room.cameraOn = stream.getVideoTracks().some((track) => track.enabled);
    } catch (error) {
      for (const track of stream.getTracks()) track.stop();
      this.report(error, roomId);
    }
  }

  #stopPublishing(room: RoomView): void {
    for (const track of room.localStream?.getTracks() ?? []) track.stop();
    room.localStream = null;
  }

  #wire(client: RoomClient): void {
    client.on('stateChanged', ({ roomId, state, reason }) => {
      const room = state === 'disconnected' ? this.room(roomId) : this.#adopt(roomId);
      if (!room) return;
      room.state = state;
      room.reason = reason;
      if (state === 'disconnected' && reason !== 'left') {
        // Kicked, closed, wrong password, gave up reconnecting: say so, and take the room off screen.
        this.#problem(reason, roomId);
        this.#drop(roomId);
      } else if (state === 'disconnected') this.#drop(roomId);
      else room.refresh();
    });
    const refresh = ({ roomId }: { roomId: string }) => {
      const room = this.room(roomId);
      room?.refresh();
      if (room) this.#handGroupToTeacher(room);
    };
    for (const event of ['memberJoined', 'memberLeft', 'memberUpdated', 'attributesChanged', 'roleChanged', 'streamAdded', 'streamRemoved', 'streamUpdated'] as const) {
      client.on(event, refresh);
    }
    client.on('message', ({ roomId }) => this.room(roomId)?.refreshMessages());
    client.on('speaking', ({ roomId, memberId, speaking }) => this.room(roomId)?.setSpeaking(memberId, speaking));
    client.on('connectionQuality', (event) => this.room(event.roomId)?.setQuality(event));
    client.on('playerState', ({ roomId, streamId, state }) => this.room(roomId)?.setPlayerState(streamId, state));
  }

  #remember(roomId: string): void {
    this.recent = [{ roomId, at: Date.now() }, ...this.recent.filter((room) => room.roomId !== roomId)].slice(0, MAX_RECENT);
    localStorage.setItem(RECENT_KEY, JSON.stringify(this.recent));
  }
}

/** `fwd.<room>.<stream>` within the 64-character stream id limit. */
export function forwardedStreamId(fromRoomId: string, streamId: string): string {
  return `fwd.${fromRoomId}.${streamId}`.replace(/[^A-Za-z0-9_.:-]/g, '_').slice(0, 64);
}

function stableUserId(): string {
  let id = localStorage.getItem(USER_ID_KEY);
  if (!id) {
    id = crypto.randomUUID();
    localStorage.setItem(USER_ID_KEY, id);
  }
  return id;
}

function loadRecent(): RecentRoom[] {
  try {
    const parsed: unknown = JSON.parse(localStorage.getItem(RECENT_KEY) ?? '[]');
    return Array.isArray(parsed) ? parsed.filter((entry): entry is RecentRoom => typeof entry?.roomId === 'string' && typeof entry?.at === 'number').slice(0, MAX_RECENT) : [];
  } catch {
    return []; // a corrupt entry: no recent rooms rather than a broken lobby
  }
}

let session: Session | null = null;

/** The tab's session, created on first use (the app renders in the browser only). */
export function useSession(): Session {
  session ??= new Session();
  return session;
}
