/**
 * Room presence shared by every relay on one Redis: existence, member counts,
 * destroyDelay, the delayed-room cap and the password verifier.
 *
 * Each relay counts its own members per room under a *registration* (`<process id>.<n>`) that
 * stays live only while its heartbeat keeps it so. A relay killed without a word stops
 * heartbeating; after `livenessMs` every count it left behind is ignored (scripts.ts), and the
 * next heartbeat of any other relay sweeps them out and starts the destroyDelay of the rooms
 * it leaves empty.
 *
 * A relay takes a fresh registration whenever its command connection becomes ready, and puts
 * everything it holds (members per room, rooms it saw lingering) under it in one go. Whatever
 * it sent under an older registration, or missed while Redis was away, cannot then leave a
 * count wrong: the old registration is retired. The same happens if its heartbeat finds the
 * registration expired (a stall longer than `livenessMs`).
 */
import type { ClusterLog } from './link.js';
import type { EnterArgs, EnterOutcome, EnterReply, Entered, PresenceScripts, SharedRoomInfo } from './scripts.js';
import type { RoomSnapshot } from '../rooms.js';

export interface PresenceTuning {
  /** How often a relay refreshes its registration and looks for dead ones. */
  heartbeatMs: number;
  /** A registration not refreshed for this long is dead: its members stop counting. */
  livenessMs: number;
}

export interface PresenceHooks {
  /** Everything this relay holds right now, to register it anew. */
  localRooms(): Iterable<RoomSnapshot>;
  /** Whether the command connection can take a command now. */
  commandsReady(): boolean;
  /** A Redis command failed (counted in /metrics; the caller falls back on its own view). */
  failed(err: unknown): void;
}

export class SharedPresence {
  #generation = 0;
  #registration: string | null = null;
  #heartbeat: NodeJS.Timeout;
  #beating = false;
  #closing = false;

  constructor(
    private readonly processId: string,
    private readonly scripts: PresenceScripts,
    private readonly tuning: PresenceTuning,
    private readonly hooks: PresenceHooks,
    private readonly log: ClusterLog,
  ) {
    this.#heartbeat = setInterval(() => void this.#beat(), tuning.heartbeatMs);
    this.#heartbeat.unref();
  }

  /** Whether requests can be decided in Redis right now (else the relay decides alone). */
  get ready(): boolean {
    return !this.#closing && this.#registration !== null && this.hooks.commandsReady();
  }

  /** The command connection is (again) ready: register anew with everything held locally. */
  register(): void {
    if (this.#closing) return;
    const previous = this.#registration;
    const registration = `${this.processId}.${++this.#generation}`;
    this.#registration = registration;
    // All sent in this turn, so they reach Redis before any later join or leave (one
    // connection keeps order), and the snapshot cannot miss or double-count a change.
    const sent: Promise<void>[] = [this.scripts.register(registration, this.tuning.livenessMs)];
    for (const room of this.hooks.localRooms()) {
      if (room.members > 0 || room.lingerMs > 0) sent.push(this.scripts.restore(registration, room));
    }
    void Promise.all(sent).then(
      // Only now: until the new registration holds every member, the old one keeps them counted.
      () => (previous ? this.#retire(previous, true) : undefined),
      (err: unknown) => this.hooks.failed(err),
    );
  }

  /**
   * Atomic check-and-join in Redis. Resolves to null when Redis cannot decide (not ready, or
   * the command failed): the caller then decides from its own rooms.
   */
  async enter(args: EnterArgs): Promise<EnterOutcome | null> {
    for (let attempt = 0; attempt < 2 && this.ready; attempt++) {
      const registration = this.#registration!;
      let reply: EnterReply;
      try {
        reply = await this.scripts.enter(registration, args);
      } catch (err) {
        this.hooks.failed(err);
        return null;
      }
      if (reply.ok || reply.code !== 'STALE') return reply as EnterOutcome;
      // This relay's registration expired (a stall longer than livenessMs): take a new one
      // (unless a heartbeat already did) and ask again under it.
      if (this.#registration === registration) {
        this.log.warn('relay: redis registration expired (no heartbeat for too long); registering again');
        this.register();
      }
    }
    return null;
  }

  /** Counts a member that joined by plain subscribe; resolves to what Redis knows of the room. */
  async join(room: string, incarnation: string): Promise<Entered | null> {
    const reply = await this.enter({ room, mode: 'any', destroyDelay: 0, keyCheck: undefined, incarnation, join: true, topicsFull: false, maxDelayedRooms: Infinity });
    return reply?.ok ? reply : null;
  }

  leave(room: string): void {
    if (!this.ready) return;
    this.scripts.leave(this.#registration!, room).catch((err: unknown) => this.hooks.failed(err));
  }

  /** null when Redis cannot answer now (the caller answers from its own rooms). */
  async query(rooms: readonly string[]): Promise<SharedRoomInfo[] | null> {
    if (!this.ready) return null;
    try {
      return await this.scripts.query(rooms);
    } catch (err) {
      this.hooks.failed(err);
      return null;
    }
  }

  /** Takes this relay's members out of every room, at once rather than after livenessMs. */
  async close(): Promise<void> {
    if (this.#closing) return;
    const registration = this.ready ? this.#registration : null;
    this.#closing = true;
    clearInterval(this.#heartbeat);
    if (registration) await this.#retire(registration, true);
  }

  async #beat(): Promise<void> {
    if (!this.ready || this.#beating) return;
    this.#beating = true;
    try {
      const registration = this.#registration!;
      if (!(await this.scripts.heartbeat(registration, this.tuning.livenessMs)) && this.#registration === registration) {
        this.log.warn('relay: redis registration expired (no heartbeat for too long); registering again');
        this.register();
      }
      // Registrations of relays that died without a word.
      for (const dead of await this.scripts.expired()) {
        if (dead !== this.#registration) await this.#retire(dead, false);
      }
    } catch (err) {
      this.hooks.failed(err);
    } finally {
      this.#beating = false;
    }
  }

  /**
   * Takes a registration's members out of each of its rooms (starting destroyDelays where rooms
   * are left empty), then forgets it. Our own old one is expired first, so its members stop
   * counting at once; a dead relay's has expired already.
   */
  async #retire(registration: string, own: boolean): Promise<void> {
    try {
      if (own) await this.scripts.expire(registration);
      const rooms = await this.scripts.roomsOf(registration);
      await Promise.all(rooms.map((room) => this.scripts.drop(registration, room)));
      await this.scripts.forget(registration);
    } catch (err) {
      // Whatever is left is found again: an expired registration is swept on every heartbeat.
      this.hooks.failed(err);
    }
  }
}
