/**
 * Topic membership and room presence.
 *
 * A topic is y-webrtc's room name; its subscribers are the room's members (one connection per
 * tab). A room exists while it has a member, and for `destroyDelay` seconds after the last one
 * leaves. Empty topics are deleted at once; only a room with a pending destroy timer is
 * remembered without members. Rooms with a destroyDelay are capped, counted from their
 * creation: a delay the relay accepted is then always honoured, however full it gets later.
 */
import { randomBytes } from 'node:crypto';
import type { RoomInfo } from './protocol.js';

/** A fresh incarnation id (protocol.ts): 96 random bits, base64url. */
export function newIncarnation(): string {
  return randomBytes(12).toString('base64url');
}

export interface RoomRegistryOptions {
  maxDelayedRooms: number;
  /** Injected so tests can drive destroy timers without waiting. */
  setTimer?: (fn: () => void, ms: number) => { unref?: () => void };
  clearTimer?: (handle: unknown) => void;
}

interface RoomRecord<M> {
  members: Set<M>;
  destroyDelay: number;
  /**
   * The password verifier the creator gave ('' = no password); undefined when the room was
   * created by a plain subscribe and nobody can say.
   */
  keyCheck: string | undefined;
  /** Given at creation; with Redis, the one the rooms shared there agree on. */
  incarnation: string;
  /** Set while the room has no member and waits out its destroyDelay. */
  destroyTimer: unknown;
  /** When the pending destroy timer fires (ms since the epoch); 0 when none is pending. */
  destroyAt: number;
}

/** What a relay knows about one of its rooms, for rebuilding shared state elsewhere. */
export interface RoomSnapshot {
  topic: string;
  members: number;
  destroyDelay: number;
  keyCheck: string | undefined;
  incarnation: string;
  /** Milliseconds left before a memberless room is destroyed; 0 while it has members. */
  lingerMs: number;
}

export class RoomRegistry<M> {
  readonly #rooms = new Map<string, RoomRecord<M>>();
  /** Rooms created with a destroyDelay > 0, with or without members. */
  #delayed = 0;
  /** Of those, the ones without members, waiting out their delay. */
  #lingering = 0;
  readonly #setTimer: NonNullable<RoomRegistryOptions['setTimer']>;
  readonly #clearTimer: NonNullable<RoomRegistryOptions['clearTimer']>;

  constructor(private readonly options: RoomRegistryOptions) {
    this.#setTimer = options.setTimer ?? ((fn, ms) => setTimeout(fn, ms));
    this.#clearTimer = options.clearTimer ?? ((handle) => clearTimeout(handle as NodeJS.Timeout));
  }

  /** Subscribers of a topic, for the fan-out; undefined when nobody is subscribed. */
  members(topic: string): ReadonlySet<M> | undefined {
    const members = this.#rooms.get(topic)?.members;
    return members && members.size > 0 ? members : undefined;
  }

  exists(topic: string): boolean {
    return this.#rooms.has(topic);
  }

  info(topic: string): RoomInfo {
    const record = this.#rooms.get(topic);
    return {
      room: topic,
      exists: record !== undefined,
      members: record?.members.size ?? 0,
      destroyDelay: record?.destroyDelay ?? 0,
    };
  }

  /** The password verifier the room was created with, if known. */
  keyCheck(topic: string): string | undefined {
    return this.#rooms.get(topic)?.keyCheck;
  }

  /** The room's incarnation (protocol.ts), while it exists. */
  incarnation(topic: string): string | undefined {
    return this.#rooms.get(topic)?.incarnation;
  }

  /**
   * Adds a member; creates the room when it does not exist, with `destroyDelay`, `keyCheck` and
   * `incarnation` (a fresh one unless given).
   */
  add(topic: string, member: M, destroyDelay = 0, keyCheck?: string, incarnation?: string): { created: boolean } {
    let record = this.#rooms.get(topic);
    const created = record === undefined;
    if (!record) {
      record = { members: new Set(), destroyDelay, keyCheck, incarnation: incarnation ?? newIncarnation(), destroyTimer: undefined, destroyAt: 0 };
      this.#rooms.set(topic, record);
      if (destroyDelay > 0) this.#delayed++;
    } else if (record.destroyTimer !== undefined) {
      this.#cancelDestroy(record);
    }
    record.members.add(member);
    return { created };
  }

  remove(topic: string, member: M): void {
    const record = this.#rooms.get(topic);
    if (!record || !record.members.delete(member) || record.members.size > 0) return;
    if (record.destroyDelay > 0) {
      this.#lingering++;
      const handle = this.#setTimer(() => {
        if (this.#rooms.get(topic) === record && record.members.size === 0) {
          this.#lingering--;
          this.#delayed--;
          this.#rooms.delete(topic);
        }
      }, record.destroyDelay * 1000);
      handle.unref?.();
      record.destroyTimer = handle;
      record.destroyAt = Date.now() + record.destroyDelay * 1000;
    } else {
      this.#rooms.delete(topic);
    }
  }

  /**
   * Takes on the destroyDelay, password verifier and incarnation that the rooms shared through Redis agree
   * on, for a room this relay did not create: a plain `subscribe` here joins a room
   * another relay created with a delay, and this relay must remember that delay if it is ever
   * the one to restore the room.
   */
  adopt(topic: string, destroyDelay: number, keyCheck: string | undefined, incarnation: string): void {
    const record = this.#rooms.get(topic);
    // A lingering room's timer already counts on its delay; it is left as it is.
    if (!record || record.destroyTimer !== undefined) return;
    record.incarnation = incarnation;
    if (record.destroyDelay === destroyDelay && record.keyCheck === keyCheck) return;
    if (record.destroyDelay === 0 && destroyDelay > 0) this.#delayed++;
    if (record.destroyDelay > 0 && destroyDelay === 0) this.#delayed--;
    record.destroyDelay = destroyDelay;
    record.keyCheck = keyCheck;
  }

  /** Every room this registry holds, occupied or lingering. */
  *snapshot(now = Date.now()): IterableIterator<RoomSnapshot> {
    for (const [topic, record] of this.#rooms) {
      yield {
        topic,
        members: record.members.size,
        destroyDelay: record.destroyDelay,
        keyCheck: record.keyCheck,
        incarnation: record.incarnation,
        lingerMs: record.members.size === 0 && record.destroyAt > 0 ? Math.max(0, record.destroyAt - now) : 0,
      };
    }
  }

  /** Whether another room may be created with a destroyDelay (callers check before `add`). */
  canAddDelayedRoom(): boolean {
    return this.#delayed < this.options.maxDelayedRooms;
  }

  get size(): number {
    return this.#rooms.size;
  }

  get lingeringCount(): number {
    return this.#lingering;
  }

  /** Cancels every destroy timer (relay shutdown). */
  clear(): void {
    for (const record of this.#rooms.values()) {
      if (record.destroyTimer !== undefined) this.#clearTimer(record.destroyTimer);
    }
    this.#rooms.clear();
    this.#lingering = 0;
    this.#delayed = 0;
  }

  #cancelDestroy(record: RoomRecord<M>): void {
    this.#clearTimer(record.destroyTimer);
    record.destroyTimer = undefined;
    record.destroyAt = 0;
    this.#lingering--;
  }
}
