/**
 * Keeps the rooms' y-webrtc signaling on the relay the client's RelayLink uses, and moves it
 * when that relay dies or is restarted [R-73][R-50].
 *
 * The link is the leader: it tries the relays one at a time, round robin with backoff
 * (relay-link.ts), so its URL is the relay to be on. When a room's signaling socket is lost, or
 * the link opens a socket again, every room not connected to the link's relay is moved there:
 *   1. its socket is paused (y-webrtc would otherwise reconnect by itself: to a relay we are
 *      leaving, or before presence is back);
 *   2. presence is entered again on the link (`room-enter`, mode `any`: a relay restarted
 *      without Redis has forgotten the room) with the room's password verifier and
 *      destroyDelay, so the room keeps both [R-3][R-71];
 *   3. its signaling is pointed at the relay and connected; y-webrtc subscribes the room and
 *      announces it there, and the room goes connected(reconnected);
 *   4. once the relay has processed that subscription, the link gives its membership back.
 * Peer connections are never touched: members already connected keep chatting and seeing each
 * other throughout. One pass runs at a time; a loss during a pass asks for another one.
 */
import { ErrorCode, RoomError } from './errors.js';
import type { EnteredRoom } from './relay-link.js';

/** What the failover needs of the client's RelayLink. */
export interface FailoverLink {
  whenOpen(): Promise<string>;
  enter(room: string, mode: 'any', destroyDelay: number, keyCheck: string, incarnation?: string): Promise<EnteredRoom>;
  leave(room: string): void;
  skipRelay(): void;
  hold(): () => void;
  on(event: 'open', listener: (payload: { url: string; reopened: boolean }) => void): () => void;
}

/** What the failover needs of a room (room.ts). */
export interface FailoverRoom {
  readonly roomId: string;
  /** Whether the room's signaling socket is connected to the relay at `url`. */
  signalingConnectedTo(url: string): boolean;
  /** Stops the room's signaling socket from reconnecting by itself. */
  pauseSignaling(): void;
  /** Signals through `url`; resolves once the relay carries the room's subscription there. */
  moveSignaling(url: string, timeoutMs: number): Promise<void>;
}

/** How the room was entered, to enter it the same way again; null on a relay without presence. */
export interface RoomPresence {
  destroyDelay: number;
  keyCheck: string;
  /** A relay that forgot the room (restarted without Redis) makes it again as the same room. */
  incarnation?: string;
}

export interface RelayFailoverOptions {
  /** How long a move to one relay may take before the next relay is tried. */
  moveTimeoutMs: number;
  log?: (line: string) => void;
  now?: () => number;
}

interface Entry {
  room: FailoverRoom;
  presence: RoomPresence | null;
}

/** Refusals on re-entry after which the room still moves (its peers are what matters). */
const MOVE_ANYWAY = new Set<string>([ErrorCode.PRESENCE_UNSUPPORTED, ErrorCode.WRONG_PASSWORD]);

export class RelayFailover {
  readonly #link: FailoverLink;
  readonly #options: RelayFailoverOptions;
  readonly #rooms = new Map<string, Entry>();
  #releaseHold: (() => void) | null = null;
  readonly #offOpen: () => void;
  #pass: Promise<void> | null = null;
  #again = false;
  #closed = false;
  /** Moves completed, for logs and tests: which relay, how long from the first loss. */
  readonly moves: { url: string; rooms: string[]; ms: number }[] = [];
  #lostAt: number | null = null;

  constructor(link: FailoverLink, options: RelayFailoverOptions) {
    this.#link = link;
    this.#options = options;
    this.#offOpen = link.on('open', ({ reopened }) => {
      if (reopened) this.recover();
    });
  }

  /** Follows a room from now on (after it entered). */
  add(room: FailoverRoom, presence: RoomPresence | null): void {
    this.#rooms.set(room.roomId, { room, presence });
    // While a room is live the link stays connected: it is how a dead relay is noticed and
    // the next one found.
    this.#releaseHold ??= this.#link.hold();
  }

  remove(roomId: string): void {
    this.#rooms.delete(roomId);
    if (this.#rooms.size === 0) {
      this.#releaseHold?.();
      this.#releaseHold = null;
    }
  }

  /** A room's signaling was lost, or the link reopened: bring every room to the link's relay. */
  recover(): void {
    if (this.#closed) return;
    this.#lostAt ??= this.#now();
    this.#again = true;
    this.#pass ??= this.#run().finally(() => (this.#pass = null));
  }

  /** Resolves when no move is running (tests). */
  async settled(): Promise<void> {
    while (this.#pass) await this.#pass;
  }

  close(): void {
    this.#closed = true;
    this.#offOpen();
    this.#releaseHold?.();
    this.#releaseHold = null;
    this.#rooms.clear();
  }

  async #run(): Promise<void> {
    while (this.#again && !this.#closed) {
      this.#again = false;
      let url: string;
      try {
        url = await this.#link.whenOpen();
      } catch (err) {
        this.#log(`relay failover stopped: ${String(err)}`);
        return;
      }
      const stale = [...this.#rooms.values()].filter((entry) => !entry.room.signalingConnectedTo(url));
      if (stale.length === 0) continue;
      try {
        await this.#move(stale, url);
      } catch (err) {
        this.#log(`relay failover: moving to ${url} failed (${String(err)}); trying the next relay`);
        this.#link.skipRelay();
        this.#again = true;
      }
    }
    if (!this.#again) this.#lostAt = null;
  }

  async #move(stale: Entry[], url: string): Promise<void> {
    for (const { room } of stale) room.pauseSignaling();
    const held: string[] = [];
    try {
      await Promise.all(
        stale.map(async ({ room, presence }) => {
          if (presence && (await this.#reenter(room.roomId, presence))) held.push(room.roomId);
        }),
      );
      await Promise.all(stale.map(({ room }) => (this.#rooms.get(room.roomId)?.room === room ? room.moveSignaling(url, this.#options.moveTimeoutMs) : undefined)));
    } finally {
      for (const roomId of held) this.#link.leave(roomId);
    }
    const ms = this.#lostAt === null ? 0 : Math.round(this.#now() - this.#lostAt);
    const rooms = stale.map(({ room }) => room.roomId);
    this.moves.push({ url, rooms, ms });
    this.#log(`relay failover: ${rooms.join(', ')} on ${url} after ${ms} ms`);
  }

  /** Enters presence again; whether the link now holds a membership to give back. */
  async #reenter(roomId: string, presence: RoomPresence): Promise<boolean> {
    try {
      await this.#link.enter(roomId, 'any', presence.destroyDelay, presence.keyCheck, presence.incarnation);
      return true;
    } catch (err) {
      if (err instanceof RoomError && MOVE_ANYWAY.has(err.code)) {
        // A stock relay, or the room was made again meanwhile with another password: the
        // relay cannot vouch for the password any more, but the members' peers still can.
        this.#log(`relay failover: ${roomId} re-entered without presence (${err.code})`);
        return false;
      }
      throw err;
    }
  }

  #now(): number {
    return (this.#options.now ?? Date.now)();
  }

  #log(line: string): void {
    this.#options.log?.(line);
  }
}
