/**
 * Breakout rooms for the UI: runes over a BreakoutController, one per main room. The
 * panels (components/breakout/) read these fields and call these methods; nothing here touches
 * the room client directly.
 *
 * Mount it once per room this tab is in as the main room (`new ClassroomState(client, roomId,
 * { password, enterRoom, leaveRoom })`) and `destroy()` it when that room view goes. Group rooms
 * are ordinary rooms of the client; pass `enterRoom`/`leaveRoom` so the session enters them its
 * own way (a room view, the camera published), or watch the client's events for them.
 */
import { BreakoutController, type BreakoutBroadcast, type BreakoutControllerOptions, type BreakoutMode, type BreakoutPlan, type BreakoutStudent, type EndedReason } from '$lib/classroom';
import type { RoomClient } from '$lib/index';

/** A failed action, as a code the panels put in words (`breakout.error.*`, then `error.*`). */
export interface BreakoutProblem {
  code: string;
  detail: string;
  roomId?: string;
}

export interface StartOptions {
  groupCount: number;
  mode: BreakoutMode;
  /** Minutes; 0 for no countdown. */
  minutes: number;
  /** userId → group index, for manual mode. */
  assignments?: Record<string, number>;
}

export class ClassroomState {
  readonly controller: BreakoutController;
  readonly mainRoomId: string;
  readonly userId: string;

  plan = $state.raw<BreakoutPlan | null>(null);
  isHost = $state(false);
  running = $state(false);
  myGroup = $state<number | null>(null);
  myGroupRoomId = $state<string | null>(null);
  groupRoomIds = $state.raw<string[]>([]);
  /** Group rooms this tab is in through breakouts (a student's group; the teacher's visits). */
  joinedRoomIds = $state.raw<string[]>([]);
  students = $state.raw<BreakoutStudent[]>([]);
  broadcasts = $state.raw<BreakoutBroadcast[]>([]);
  remainingMs = $state<number | null>(null);
  /** How many more rooms this tab may enter: more groups the teacher can visit. */
  freeRoomSlots = $state(0);
  /** Why the last breakouts ended, until new ones start. */
  ended = $state<EndedReason | null>(null);
  problem = $state.raw<BreakoutProblem | null>(null);
  /** An action is under way (buttons wait). */
  busy = $state(false);

  readonly mode = $derived(this.plan?.mode ?? null);
  readonly groupCount = $derived(this.plan?.groups.length ?? 0);
  /** The teacher put me in my group (in choose mode my own choice no longer applies). */
  readonly placedByHost = $derived(this.plan?.groups.some((group) => group.includes(this.userId)) ?? false);
  /** A student placed in a group but not in its room (they left it, or entering failed). */
  readonly outsideMyGroup = $derived(this.myGroupRoomId !== null && !this.joinedRoomIds.includes(this.myGroupRoomId));

  readonly #unsubscribes: (() => void)[];

  constructor(client: RoomClient, mainRoomId: string, options: Pick<BreakoutControllerOptions, 'password' | 'enterRoom' | 'leaveRoom'> = {}) {
    this.mainRoomId = mainRoomId;
    this.userId = client.user.userId;
    this.controller = new BreakoutController({ client, mainRoomId, ...options });
    const controller = this.controller;
    this.#unsubscribes = [
      controller.on('changed', () => this.#sync()),
      controller.on('broadcast', () => this.#sync()),
      controller.on('ended', ({ reason }) => {
        this.ended = reason;
      }),
      controller.on('planChanged', ({ plan }) => {
        if (plan && plan.ended === null) this.ended = null;
      }),
      controller.on('error', ({ code, message, roomId }) => {
        this.problem = { code, detail: message, roomId };
      }),
    ];
    this.#sync();
  }

  /** Group `index`'s room id, for "join" links and labels. */
  groupRoomId(index: number): string | null {
    return this.groupRoomIds[index] ?? null;
  }

  /** Which group a room of this tab is, or null: for labelling room views. */
  groupIndexOfRoom(roomId: string): number | null {
    return this.controller.groupIndexOfRoom(roomId);
  }

  start(options: StartOptions): Promise<boolean> {
    const durationMs = options.minutes > 0 ? options.minutes * 60_000 : null;
    return this.#act(() => this.controller.start({ groupCount: options.groupCount, mode: options.mode, assignments: options.assignments, durationMs }));
  }

  assign(userId: string, groupIndex: number | null): Promise<boolean> {
    return this.#act(() => this.controller.assign(userId, groupIndex));
  }

  choose(groupIndex: number): Promise<boolean> {
    return this.#act(() => this.controller.choose(groupIndex));
  }

  broadcast(text: string): Promise<boolean> {
    return this.#act(() => this.controller.broadcast(text));
  }

  visit(groupIndex: number): Promise<boolean> {
    return this.#act(() => this.controller.visit(groupIndex));
  }

  leaveGroup(groupIndex: number): Promise<boolean> {
    return this.#act(() => this.controller.leaveGroup(groupIndex));
  }

  /** Adds `ms` to the countdown (starting one from now when there is none). */
  addTime(ms: number): Promise<boolean> {
    return this.#act(() => this.controller.setCountdown((this.controller.remainingMs ?? 0) + ms));
  }

  end(): Promise<boolean> {
    return this.#act(() => this.controller.end());
  }

  rejoin(): Promise<boolean> {
    return this.#act(() => this.controller.rejoin());
  }

  dismissProblem(): void {
    this.problem = null;
  }

  destroy(): void {
    for (const unsubscribe of this.#unsubscribes.splice(0)) unsubscribe();
    this.controller.destroy();
  }

  /** Runs an action; a failure becomes `problem` (shown in words), success clears it. */
  async #act(action: () => Promise<unknown>): Promise<boolean> {
    this.busy = true;
    // Cleared first: an `error` event during the action (entering a room failed) must stay shown.
    this.problem = null;
    try {
      await action();
      return true;
    } catch (err) {
      const { code, roomId } = err as { code?: unknown; roomId?: unknown };
      this.problem = {
        code: typeof code === 'string' ? code : 'UNEXPECTED',
        detail: err instanceof Error ? err.message : String(err),
        ...(typeof roomId === 'string' ? { roomId } : {}),
      };
      return false;
    } finally {
      this.busy = false;
      this.#sync();
    }
  }

  #sync(): void {
    const controller = this.controller;
    this.plan = controller.plan;
    this.isHost = controller.isHost;
    this.running = controller.running;
    this.myGroup = controller.myGroup;
    this.myGroupRoomId = controller.myGroupRoomId;
    if (!sameList(this.groupRoomIds, controller.groupRoomIds)) this.groupRoomIds = controller.groupRoomIds;
    if (!sameList(this.joinedRoomIds, controller.joinedRoomIds)) this.joinedRoomIds = controller.joinedRoomIds;
    const students = controller.students;
    if (JSON.stringify(students) !== JSON.stringify(this.students)) this.students = students;
    const broadcasts = controller.broadcasts;
    if (!sameList(broadcasts.map((b) => b.id), this.broadcasts.map((b) => b.id))) this.broadcasts = broadcasts;
    this.remainingMs = controller.remainingMs;
    this.freeRoomSlots = controller.freeRoomSlots;
  }
}

/** Avoids replacing a `$state.raw` list with an equal one (which would re-render its views). */
function sameList(a: readonly string[], b: readonly string[]): boolean {
  return a.length === b.length && a.every((item, index) => item === b[index]);
}
