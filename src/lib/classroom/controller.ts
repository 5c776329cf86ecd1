/**
 * Breakout rooms over the public RoomClient API: the teacher (the main room's host)
 * writes a plan into the main room's attributes; every client derives from it, on its own, which
 * group room it belongs in and enters or leaves it. So a late student, or one who reloads, is
 * placed by the shared state alone, and students never leave the main room.
 *
 * Decisions, and why:
 * - Trust: a plan counts only when its `by` is the main room's host (the member whose role
 *   is host; the last one seen while none is present). Anything else — bad JSON, a bad shape, a
 *   plan by someone else, a deleted attribute (nobody can tell who deleted it) — is ignored: the
 *   last trusted plan stays. Yjs updates carry no proof of their author, so this stops honest
 *   mistakes and casual tampering, not a forger (SECURITY.md).
 * - A late student's client cannot tell who the host is until the host is in the main room: if the
 *   teacher is away, placement waits for them.
 * - Countdown: the plan holds `endsAt`. The host's client ends the breakouts when it passes.
 *   If the host is gone (tab closed, or a background tab whose timers are throttled), each
 *   student's client stops counting them `graceMs` (10 s) later and leaves its group room by
 *   itself, so groups end on time without a teacher; the plan stays "running" in the document
 *   until the host comes back and ends it. `endsAt` is the host's clock: a student's clock that is
 *   off shows the time left off by as much (the grace absorbs small differences).
 * - The teacher can be in `maxRooms - 1` groups at once (main room + 4 by default ); a
 *   visit past that fails with ROOM_LIMIT_EXCEEDED and changes nothing. With more than four
 *   groups the teacher leaves one to visit another.
 * - Broadcasts are main-room chat messages (broadcast.ts says why).
 * - A student who leaves their group room themselves (or is kicked from it) is not pulled back in
 *   until they ask (`rejoin()`) or are placed elsewhere; a failed entry is retried the same way.
 * - Losing the main room (left, kicked, closed) ends breakouts for this client: it leaves its group
 *   rooms too, since the class is what they belong to.
 */
import type { RoomClient } from '../rooms/client.js';
import type { Member, Role } from '../rooms/members.js';
import type { ChatMessage } from '../rooms/schema.js';
import { Emitter } from '../rooms/events.js';
import { isRoomError } from '../rooms/errors.js';
import { BreakoutError, BreakoutErrorCode } from './errors.js';
import {
  CHOICE_ATTRIBUTE_KEY,
  PLAN_ATTRIBUTE_KEY,
  assignStudent,
  choiceValue,
  createPlan,
  groupOf,
  isRunning,
  parsePlan,
  placeLatecomers,
  remainingMs,
  serializePlan,
  MAX_COUNTDOWN_MS,
  type BreakoutEndReason,
  type BreakoutMode,
  type BreakoutPlan,
} from './plan.js';
import { groupIndexOfRoom, groupRoomId, groupRoomIds } from './group-rooms.js';
import { broadcastContent, isBroadcastMessage, readBroadcast, type BreakoutBroadcast } from './broadcast.js';

/** How long past the countdown a student's client waits for the host to end breakouts. */
export const DEFAULT_GRACE_MS = 10_000;
const TICK_MS = 1000;

export interface BreakoutControllerOptions {
  client: RoomClient;
  mainRoomId: string;
  /** The main room's password as the user entered it: group rooms use the same one. */
  password?: string;
  graceMs?: number;
  now?: () => number;
  /** For the auto split and plan ids; tests pass a seeded one. */
  random?: () => number;
  /**
   * How to enter and leave a group room, when the app does more than the client does (a view
   * per room, publishing the camera into it). Default: `client.enterRoom` / `client.leaveRoom`.
   * They must throw the client's RoomError on failure.
   */
  enterRoom?: (roomId: string, config: { password?: string }) => Promise<unknown>;
  leaveRoom?: (roomId: string) => Promise<unknown>;
}

export interface StartRequest {
  groupCount: number;
  mode: BreakoutMode;
  /** userId → group index (manual mode; in choose mode, students placed up front). */
  assignments?: Record<string, number>;
  /** Countdown in ms; null or 0 for none. */
  durationMs?: number | null;
}

export interface BreakoutStudent {
  userId: string;
  userName: string;
  role: Role;
  /** Their group while breakouts run, else null. */
  groupIndex: number | null;
}

export type EndedReason = BreakoutEndReason | 'main-room-left';

export interface BreakoutEvents {
  /** The trusted plan changed (null: not in the main room any more). */
  planChanged: { plan: BreakoutPlan | null };
  /** This student's group changed (null: no group). */
  assigned: { groupIndex: number | null; groupRoomId: string | null };
  /** A broadcast of the current session arrived (or became trusted once the host was known). */
  broadcast: { broadcast: BreakoutBroadcast };
  /** Breakouts stopped for this client. */
  ended: { planId: string; reason: EndedReason };
  /** Every second while a countdown runs. */
  countdown: { endsAt: number; remainingMs: number };
  /** A plan in the main room was not taken: not a plan, or not written by the host. */
  planIgnored: { reason: 'invalid' | 'not-host' };
  /** The group rooms this controller has the client in changed. */
  roomsChanged: { roomIds: string[] };
  /** Something done on the user's behalf failed (entering their group room…). */
  error: { code: string; message: string; roomId?: string };
  /**
   * Anything a view shows may have changed (members, choices, rooms, the clock): one event for
   * a UI to re-read the getters, at most once per refresh.
   */
  changed: { at: number };
}

export class BreakoutController {
  readonly mainRoomId: string;
  readonly #client: RoomClient;
  readonly #password: string | undefined;
  readonly #graceMs: number;
  readonly #now: () => number;
  readonly #random: () => number;
  readonly #enterRoom: (roomId: string, config: { password?: string }) => Promise<unknown>;
  readonly #leaveRoom: (roomId: string) => Promise<unknown>;
  readonly #events = new Emitter<BreakoutEvents>();
  readonly #unsubscribes: (() => void)[] = [];

  #plan: BreakoutPlan | null = null;
  #hostId: string | undefined;
  #isHost = false;
  #running = false;
  #runningPlanId: string | null = null;
  #myGroup: number | null = null;
  #lastIgnored = '';
  /** Group rooms this controller entered and has not left. */
  readonly #joined = new Set<string>();
  /** Group rooms the host chose to be in. */
  readonly #visits = new Set<string>();
  /** Group rooms not to enter automatically: left by the user, or entering failed. */
  readonly #held = new Set<string>();
  /** Group rooms this controller is leaving right now (their disconnected(left) is expected). */
  readonly #leaving = new Set<string>();
  readonly #broadcastMessages: ChatMessage[] = [];
  #broadcasts: BreakoutBroadcast[] = [];
  readonly #announced = new Set<string>();
  #timer: ReturnType<typeof setInterval> | null = null;
  /** The host's end-on-countdown write in flight, by plan id (so it is written once). */
  #endingPlanId: string | null = null;
  #latecomerWrite = '';
  #queue: Promise<void> = Promise.resolve();
  #reconcileQueued = false;
  #refreshing = false;
  #refreshAgain = false;
  #destroyed = false;

  constructor(options: BreakoutControllerOptions) {
    this.#client = options.client;
    this.mainRoomId = options.mainRoomId;
    this.#password = options.password;
    this.#graceMs = options.graceMs ?? DEFAULT_GRACE_MS;
    this.#now = options.now ?? Date.now;
    this.#random = options.random ?? Math.random;
    this.#enterRoom = options.enterRoom ?? ((roomId, config) => this.#client.enterRoom({ roomId }, config));
    this.#leaveRoom = options.leaveRoom ?? ((roomId) => this.#client.leaveRoom(roomId));
    const client = this.#client;
    const main = (handler: () => void) => (event: { roomId: string }) => {
      if (event.roomId === this.mainRoomId) handler();
    };
    this.#unsubscribes.push(
      client.on('stateChanged', (event) => {
        if (event.roomId === this.mainRoomId) this.#refresh();
        else if (event.state === 'disconnected') this.#groupRoomGone(event.roomId);
      }),
      client.on('memberJoined', main(() => this.#refresh())),
      client.on('memberLeft', main(() => this.#refresh())),
      client.on('memberUpdated', main(() => this.#refresh())),
      client.on('roleChanged', main(() => this.#refresh())),
      client.on('attributesChanged', (event) => {
        if (event.roomId === this.mainRoomId && (PLAN_ATTRIBUTE_KEY in event.updated || event.deleted.includes(PLAN_ATTRIBUTE_KEY))) this.#refresh();
      }),
      client.on('message', (message) => {
        if (message.roomId !== this.mainRoomId || !isBroadcastMessage(message)) return;
        this.#broadcastMessages.push(message);
        this.#refresh();
      }),
    );
    // Broadcasts already in the history when the controller starts.
    for (const message of client.room(this.mainRoomId)?.messages ?? []) if (isBroadcastMessage(message)) this.#broadcastMessages.push(message);
    this.#refresh();
  }

  on<K extends keyof BreakoutEvents>(event: K, listener: (payload: BreakoutEvents[K]) => void): () => void {
    return this.#events.on(event, listener);
  }

  /** The plan in force (the host's latest), running or ended; null when there is none. */
  get plan(): BreakoutPlan | null {
    return this.#plan;
  }

  /** Whether this client is the main room's host, who runs the breakouts. */
  get isHost(): boolean {
    return this.#isHost;
  }

  /** Whether breakouts are on for this client. */
  get running(): boolean {
    return this.#running;
  }

  /** This student's group, or null. */
  get myGroup(): number | null {
    return this.#myGroup;
  }

  get myGroupRoomId(): string | null {
    return this.#plan && this.#myGroup !== null ? groupRoomId(this.mainRoomId, this.#plan, this.#myGroup) : null;
  }

  /** Group rooms of the current plan, in group order. */
  get groupRoomIds(): string[] {
    return this.#plan ? groupRoomIds(this.mainRoomId, this.#plan) : [];
  }

  /** Group rooms this client is in through the controller (a student's group; the host's visits). */
  get joinedRoomIds(): string[] {
    return [...this.#joined];
  }

  /** How many more rooms this client may enter: how many more groups the host can visit. */
  get freeRoomSlots(): number {
    return Math.max(0, this.#client.maxRooms - this.#client.roomIds.length);
  }

  /** Countdown left, or null without one (or with no breakouts). */
  get remainingMs(): number | null {
    return this.#running && this.#plan ? remainingMs(this.#plan, this.#now()) : null;
  }

  /** The host's broadcasts of the current session, oldest first. */
  get broadcasts(): BreakoutBroadcast[] {
    return this.#broadcasts;
  }

  /** Everyone in the main room but the host, once per user, with their group. */
  get students(): BreakoutStudent[] {
    const byUser = new Map<string, BreakoutStudent>();
    for (const member of this.#mainMembers()) {
      if (member.role === 'host' || byUser.has(member.userId)) continue;
      const groupIndex = this.#running && this.#plan ? groupOf(this.#plan, member.userId, member.attributes[CHOICE_ATTRIBUTE_KEY]) : null;
      byUser.set(member.userId, { userId: member.userId, userName: member.userName, role: member.role, groupIndex });
    }
    return [...byUser.values()];
  }

  /** Which group of the current plan a room is (for labelling room views), or null. */
  groupIndexOfRoom(roomId: string): number | null {
    return this.#plan ? groupIndexOfRoom(this.mainRoomId, this.#plan, roomId) : null;
  }

  /** Host: starts breakouts; auto mode splits the students in the main room now. */
  async start(request: StartRequest): Promise<BreakoutPlan> {
    this.#assertHost();
    if (this.#running) throw new BreakoutError(BreakoutErrorCode.ALREADY_RUNNING, 'breakouts are running; end them first');
    const students = this.students.map((student) => student.userId);
    const plan = createPlan({ ...request, students }, this.#client.user.userId, this.#now(), this.#random);
    await this.#writePlan(plan);
    return plan;
  }

  /** Host: moves a student to a group (null: out of every group), in any mode. */
  async assign(userId: string, groupIndex: number | null): Promise<void> {
    const plan = this.#assertRunningAsHost();
    await this.#writePlan(assignStudent(plan, userId, groupIndex));
  }

  /** Host: a new countdown from now (null: none). */
  async setCountdown(durationMs: number | null): Promise<void> {
    const plan = this.#assertRunningAsHost();
    if (durationMs !== null && !(Number.isFinite(durationMs) && durationMs > 0 && durationMs <= MAX_COUNTDOWN_MS)) {
      throw new BreakoutError(BreakoutErrorCode.INVALID_PLAN, `a countdown is from 0 to ${MAX_COUNTDOWN_MS / 60_000} minutes`);
    }
    await this.#writePlan({ ...plan, endsAt: durationMs === null ? null : this.#now() + durationMs });
  }

  /** Host: a message every student sees, in whichever group they are. */
  async broadcast(text: string): Promise<void> {
    const plan = this.#assertRunningAsHost();
    await this.#client.sendMessage(this.mainRoomId, broadcastContent(plan.id, text));
  }

  /** Host: ends breakouts; everyone leaves their group room and stays in the main room. */
  async end(): Promise<void> {
    const plan = this.#assertRunningAsHost();
    await this.#writePlan({ ...plan, ended: 'host' });
  }

  /** Host: enters a group's room (and stays in the others already visited). */
  async visit(groupIndex: number): Promise<void> {
    const plan = this.#assertRunningAsHost();
    const roomId = this.#groupRoom(plan, groupIndex);
    await this.#enqueue(async () => {
      if (this.#joined.has(roomId)) return;
      await this.#enterGroupRoom(roomId);
      this.#visits.add(roomId);
      this.#emitRooms();
    });
  }

  /** Host: leaves a group's room; the other rooms stay. */
  async leaveGroup(groupIndex: number): Promise<void> {
    const plan = this.#assertRunningAsHost();
    const roomId = this.#groupRoom(plan, groupIndex);
    this.#visits.delete(roomId);
    await this.#enqueue(() => this.#leaveGroupRoom(roomId));
  }

  /** Student, choose mode: picks a group (and can pick again). */
  async choose(groupIndex: number): Promise<void> {
    if (!this.#running || !this.#plan) throw new BreakoutError(BreakoutErrorCode.NO_ACTIVE_BREAKOUT, 'no breakouts are running');
    const plan = this.#plan;
    if (this.#isHost) throw new BreakoutError(BreakoutErrorCode.INVALID_PLAN, 'the host visits groups instead of choosing one');
    if (plan.mode !== 'choose') throw new BreakoutError(BreakoutErrorCode.WRONG_MODE, 'the teacher places students in this session');
    if (plan.groups.some((group) => group.includes(this.#client.user.userId))) {
      throw new BreakoutError(BreakoutErrorCode.ASSIGNED_BY_HOST, 'the teacher has placed you in a group');
    }
    const value = choiceValue(plan, groupIndex);
    this.#assertInMain();
    this.#held.clear();
    await this.#client.setMemberAttributes(this.mainRoomId, { [CHOICE_ATTRIBUTE_KEY]: value });
    this.#refresh();
  }

  /** Student: back into the group room after leaving it (or after entering it failed). */
  async rejoin(): Promise<void> {
    this.#held.clear();
    this.#refresh();
    await this.idle();
  }

  /** Resolves once every room change asked for so far is done. */
  async idle(): Promise<void> {
    let tail: Promise<void>;
    do {
      tail = this.#queue;
      await tail;
    } while (tail !== this.#queue);
  }

  /**
   * Stops listening. Group rooms are not left (the user may keep them); to leave them, leave
   * the main room first, wait for `idle()`, then destroy.
   */
  destroy(): void {
    this.#destroyed = true;
    for (const unsubscribe of this.#unsubscribes.splice(0)) unsubscribe();
    this.#stopTimer();
  }

  #assertInMain(): void {
    const state = this.#client.room(this.mainRoomId)?.state;
    if (state !== 'connected' && state !== 'reconnecting') throw new BreakoutError(BreakoutErrorCode.NOT_IN_MAIN_ROOM, `not in the main room "${this.mainRoomId}"`);
  }

  #assertHost(): void {
    this.#assertInMain();
    if (!this.#isHost) throw new BreakoutError(BreakoutErrorCode.NOT_HOST, 'only the host of the main room runs breakouts');
  }

  #assertRunningAsHost(): BreakoutPlan {
    this.#assertHost();
    if (!this.#running || !this.#plan) throw new BreakoutError(BreakoutErrorCode.NO_ACTIVE_BREAKOUT, 'no breakouts are running');
    return this.#plan;
  }

  #groupRoom(plan: BreakoutPlan, groupIndex: number): string {
    if (!Number.isInteger(groupIndex) || groupIndex < 0 || groupIndex >= plan.groups.length) {
      throw new BreakoutError(BreakoutErrorCode.INVALID_GROUP, `there is no group ${groupIndex + 1}; there are ${plan.groups.length}`);
    }
    return groupRoomId(this.mainRoomId, plan, groupIndex);
  }

  /**
   * Writes the plan signed by this client: after a host handover the new host's changes
   * (an end, a move) must carry their own name, or honest clients would ignore them.
   */
  async #writePlan(plan: BreakoutPlan): Promise<void> {
    const me = this.#client.user.userId;
    const signed = { ...plan, by: me, groups: plan.groups.map((group) => group.filter((userId) => userId !== me)) };
    const text = serializePlan(signed);
    await this.#client.setRoomAttributes(this.mainRoomId, { [PLAN_ATTRIBUTE_KEY]: text });
    this.#refresh();
  }

  #mainMembers(): Member[] {
    const snapshot = this.#client.room(this.mainRoomId);
    return snapshot && (snapshot.state === 'connected' || snapshot.state === 'reconnecting') ? snapshot.members : [];
  }

  /** Re-derives everything from the main room; re-entrant calls (our own writes) loop instead of nesting. */
  #refresh(): void {
    if (this.#destroyed) return;
    if (this.#refreshing) {
      this.#refreshAgain = true;
      return;
    }
    this.#refreshing = true;
    try {
      do {
        this.#refreshAgain = false;
        this.#refreshOnce();
      } while (this.#refreshAgain);
    } finally {
      this.#refreshing = false;
    }
  }

  #refreshOnce(): void {
    const snapshot = this.#client.room(this.mainRoomId);
    const inMain = snapshot !== undefined && (snapshot.state === 'connected' || snapshot.state === 'reconnecting');
    const members = inMain ? snapshot.members : [];
    const host = members.find((member) => member.role === 'host');
    if (host) this.#hostId = host.userId;
    const me = members.find((member) => member.isLocal);
    this.#isHost = me?.role === 'host';

    if (inMain) this.#takePlan(snapshot.attributes[PLAN_ATTRIBUTE_KEY]);
    else if (this.#plan !== null) {
      this.#plan = null;
      this.#events.emit('planChanged', { plan: null });
    }

    const now = this.#now();
    const plan = this.#plan;
    const running = isRunning(plan, now, this.#isHost ? 0 : this.#graceMs);
    if (this.#runningPlanId !== null && (!running || plan?.id !== this.#runningPlanId)) {
      const reason: EndedReason = !inMain ? 'main-room-left' : plan?.id === this.#runningPlanId && plan.ended ? plan.ended : 'countdown';
      const planId = this.#runningPlanId;
      this.#runningPlanId = null;
      this.#running = false;
      this.#events.emit('ended', { planId, reason });
    }
    this.#running = running;
    if (running && this.#runningPlanId !== plan.id) {
      this.#runningPlanId = plan.id;
      this.#held.clear();
      this.#visits.clear();
    }

    const myGroup = running && !this.#isHost ? groupOf(plan, this.#client.user.userId, me?.attributes[CHOICE_ATTRIBUTE_KEY]) : null;
    if (myGroup !== this.#myGroup) {
      this.#myGroup = myGroup;
      this.#events.emit('assigned', { groupIndex: myGroup, groupRoomId: this.myGroupRoomId });
    }

    this.#takeBroadcasts();
    if (this.#isHost && plan) this.#hostDuties(plan, members, now);
    if (running && plan.endsAt !== null) this.#startTimer();
    else this.#stopTimer();
    this.#scheduleReconcile();
    this.#events.emit('changed', { at: now });
  }

  /** Takes the attribute's plan if it is one and the host wrote it; otherwise keeps the last trusted plan. */
  #takePlan(raw: string | undefined): void {
    if (raw === undefined) return;
    const plan = parsePlan(raw);
    const reason = plan === null ? 'invalid' : plan.by !== this.#hostId ? 'not-host' : null;
    if (reason) {
      const key = `${reason}\u0000${raw}\u0000${this.#hostId}`;
      if (key !== this.#lastIgnored) {
        this.#lastIgnored = key;
        this.#events.emit('planIgnored', { reason });
      }
      return;
    }
    if (JSON.stringify(plan) === JSON.stringify(this.#plan)) return;
    this.#plan = plan;
    this.#events.emit('planChanged', { plan });
  }

  /** What only the host's client does: end on countdown, and place latecomers in auto mode. */
  #hostDuties(plan: BreakoutPlan, members: Member[], now: number): void {
    if (plan.ended !== null) return;
    if (plan.endsAt !== null && now >= plan.endsAt) {
      if (this.#endingPlanId === plan.id) return;
      this.#endingPlanId = plan.id;
      this.#background(this.#writePlan({ ...plan, ended: 'countdown' }));
      return;
    }
    if (plan.mode !== 'auto') return;
    const waiting = members.filter((member) => member.role !== 'host' && !plan.groups.some((group) => group.includes(member.userId))).map((member) => member.userId);
    if (waiting.length === 0) return;
    const next = placeLatecomers(plan, waiting);
    const text = JSON.stringify(next);
    if (text === this.#latecomerWrite) return;
    this.#latecomerWrite = text;
    this.#background(this.#writePlan(next));
  }

  #takeBroadcasts(): void {
    const plan = this.#plan;
    this.#broadcasts = plan ? this.#broadcastMessages.flatMap((message) => readBroadcast(message, this.#hostId, plan.id) ?? []) : [];
    for (const broadcast of this.#broadcasts) {
      if (this.#announced.has(broadcast.id)) continue;
      this.#announced.add(broadcast.id);
      this.#events.emit('broadcast', { broadcast });
    }
  }

  #startTimer(): void {
    if (this.#timer !== null) return;
    this.#timer = setInterval(() => {
      const plan = this.#plan;
      if (plan?.endsAt != null && this.#running) this.#events.emit('countdown', { endsAt: plan.endsAt, remainingMs: Math.max(0, plan.endsAt - this.#now()) });
      this.#refresh();
    }, TICK_MS);
  }

  #stopTimer(): void {
    if (this.#timer === null) return;
    clearInterval(this.#timer);
    this.#timer = null;
  }

  /** Group rooms this client should be in now. */
  #wantedRooms(): Set<string> {
    const wanted = new Set<string>();
    const plan = this.#plan;
    if (this.#destroyed || !plan || !this.#running) return wanted;
    const mine = this.myGroupRoomId;
    if (mine && !this.#held.has(mine)) wanted.add(mine);
    const current = groupRoomIds(this.mainRoomId, plan);
    for (const roomId of this.#visits) if (current.includes(roomId)) wanted.add(roomId);
    return wanted;
  }

  #scheduleReconcile(): void {
    if (this.#reconcileQueued) return;
    this.#reconcileQueued = true;
    this.#background(
      this.#enqueue(async () => {
        this.#reconcileQueued = false;
        await this.#reconcile();
      }),
    );
  }

  /** Leaves group rooms no longer wanted (first, to free room slots ), then enters the wanted ones. */
  async #reconcile(): Promise<void> {
    const wanted = this.#wantedRooms();
    for (const roomId of [...this.#joined]) if (!wanted.has(roomId)) await this.#leaveGroupRoom(roomId);
    for (const roomId of wanted) {
      if (this.#joined.has(roomId)) continue;
      try {
        await this.#enterGroupRoom(roomId);
      } catch (err) {
        // Not retried on every event (a fifth room would fail the same way each time): the user retries.
        this.#held.add(roomId);
        this.#reportError(err, roomId);
      }
    }
  }

  async #enterGroupRoom(roomId: string): Promise<void> {
    if (!this.#client.roomIds.includes(roomId)) await this.#enterRoom(roomId, { password: this.#password });
    this.#joined.add(roomId);
    this.#emitRooms();
  }

  async #leaveGroupRoom(roomId: string): Promise<void> {
    if (!this.#joined.has(roomId)) return;
    this.#leaving.add(roomId);
    try {
      await this.#leaveRoom(roomId);
    } catch (err) {
      // Already gone (kicked, closed) is what leaving wanted anyway.
      if (!isRoomError(err, 'NOT_IN_ROOM')) this.#reportError(err, roomId);
    } finally {
      this.#leaving.delete(roomId);
      this.#joined.delete(roomId);
      this.#emitRooms();
    }
  }

  /** A group room ended without this controller leaving it: the user left it, or was kicked. */
  #groupRoomGone(roomId: string): void {
    if (!this.#joined.has(roomId) || this.#leaving.has(roomId)) return;
    this.#joined.delete(roomId);
    this.#visits.delete(roomId);
    this.#held.add(roomId);
    this.#emitRooms();
    this.#refresh();
  }

  #emitRooms(): void {
    this.#events.emit('roomsChanged', { roomIds: [...this.#joined] });
    this.#events.emit('changed', { at: this.#now() });
  }

  #enqueue(task: () => Promise<void>): Promise<void> {
    const run = this.#queue.then(task);
    // The queue itself never rejects, so one failure does not stop the tasks after it.
    this.#queue = run.then(
      () => undefined,
      () => undefined,
    );
    return run;
  }

  /** Work started from an event handler: its failure is reported as an `error` event, not lost. */
  #background(work: Promise<void>): void {
    work.catch((err: unknown) => this.#reportError(err));
  }

  #reportError(err: unknown, roomId?: string): void {
    const code = (err as { code?: unknown } | null)?.code;
    this.#events.emit('error', { code: typeof code === 'string' ? code : 'UNKNOWN', message: err instanceof Error ? err.message : String(err), ...(roomId ? { roomId } : {}) });
  }
}

export function createBreakoutController(options: BreakoutControllerOptions): BreakoutController {
  return new BreakoutController(options);
}
