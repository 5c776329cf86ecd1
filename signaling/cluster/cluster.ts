/**
 * Several relay processes behaving as one through Redis: what relay.ts sees of it.
 *
 * - Publishes: bus.ts (pub/sub, one channel per topic).
 * - Room presence, destroyDelay, the delayed-room cap, password verifiers: presence.ts
 *   (Lua scripts, per-relay member counts under a heartbeated registration).
 * - Redis away: link.ts logs it; every request is then answered from this relay's own rooms
 *   (RoomRegistry), as a standalone relay would, and on the way back this relay registers
 *   everything it holds again. What is lost meanwhile: README, "Several relays".
 */
import { randomBytes } from 'node:crypto';
import { TopicBus, PROCESS_ID_BYTES } from './bus.js';
import { ClusterKeys, DEFAULT_KEY_PREFIX } from './keys.js';
import { RedisLink, type ClusterLog, type LinkState } from './link.js';
import { SharedPresence } from './presence.js';
import { PresenceScripts, type EnterArgs, type EnterOutcome, type SharedRoomInfo } from './scripts.js';
import type { RoomSnapshot } from '../rooms.js';

export type { ClusterLog, LinkState, EnterArgs, EnterOutcome, SharedRoomInfo };

/** Knobs for tests and benchmarks; deployments keep the defaults (README, Configuration). */
export interface ClusterTuning {
  /** Prefix of every Redis key and channel; relays with different prefixes do not meet. */
  keyPrefix: string;
  heartbeatMs: number;
  /** A relay that has not heartbeated for this long is dead: its members stop counting. */
  livenessMs: number;
  reconnectMaxDelayMs: number;
  commandTimeoutMs: number;
  log: ClusterLog;
}

const FAILURE_LOG_INTERVAL_MS = 60_000;

export const DEFAULT_CLUSTER_TUNING: Readonly<ClusterTuning> = Object.freeze({
  keyPrefix: DEFAULT_KEY_PREFIX,
  // Three heartbeats fit in one liveness period, so one slow or lost heartbeat is no death.
  heartbeatMs: 5_000,
  livenessMs: 15_000,
  reconnectMaxDelayMs: 2_000,
  commandTimeoutMs: 3_000,
  log: { info: (line: string) => console.log(line), warn: (line: string) => console.error(line) },
});

export interface ClusterHooks {
  /** Everything this relay's RoomRegistry holds, for registering it in Redis again. */
  localRooms(): Iterable<RoomSnapshot>;
  /** A publish from another relay, to fan out to this relay's subscribers of the topic. */
  deliver(topic: string, received: Buffer): void;
  /** What Redis knows of a room a local member joined by plain subscribe. */
  adopt(topic: string, destroyDelay: number, keyCheck: string | undefined, incarnation: string): void;
}

export interface ClusterStatus {
  state: LinkState;
  published: number;
  received: number;
  failures: number;
}

export class Cluster {
  readonly #link: RedisLink;
  readonly #bus: TopicBus;
  readonly #presence: SharedPresence;
  readonly #adopt: ClusterHooks['adopt'];
  readonly #log: ClusterLog;
  #failures = 0;
  #lastFailureLogged = 0;

  constructor(url: string, tuning: Partial<ClusterTuning>, hooks: ClusterHooks) {
    const settings: ClusterTuning = { ...DEFAULT_CLUSTER_TUNING, ...tuning };
    const processId = randomBytes(PROCESS_ID_BYTES / 2).toString('hex');
    const keys = new ClusterKeys(settings.keyPrefix);
    this.#log = settings.log;
    const failed = (err: unknown) => this.#failed(err);
    this.#link = new RedisLink(url, settings, settings.log, {
      commandsReady: () => this.#presence.register(),
      subscriberReady: () => this.#bus.resubscribe(),
      message: (channel, message) => this.#bus.onMessage(channel, message),
    });
    this.#bus = new TopicBus(processId, this.#link, keys, { deliver: hooks.deliver, failed });
    this.#presence = new SharedPresence(
      processId,
      new PresenceScripts(this.#link.commands, keys),
      settings,
      { localRooms: hooks.localRooms, commandsReady: () => this.#link.commandsReady, failed },
      settings.log,
    );
    this.#adopt = hooks.adopt;
  }

  /**
   * A command failed while Redis seemed up (a timeout, an error reply): the request it served
   * was answered from this relay's own rooms. Counted always, logged at most once a minute;
   * failures while the link is down are the outage already logged by link.ts.
   */
  #failed(err: unknown): void {
    this.#failures++;
    if (this.#link.state !== 'connected' || Date.now() - this.#lastFailureLogged < FAILURE_LOG_INTERVAL_MS) return;
    this.#lastFailureLogged = Date.now();
    const reason = err instanceof Error ? err.message : String(err);
    this.#log.warn(`relay: redis command failed (${reason}); answered from this relay's own rooms (see relay_redis_failures_total)`);
  }

  status(): ClusterStatus {
    return { state: this.#link.state, published: this.#bus.counters.published, received: this.#bus.counters.received, failures: this.#failures };
  }

  /** Whether room requests are decided in Redis now (else from this relay's own rooms). */
  get presenceReady(): boolean {
    return this.#presence.ready;
  }

  publish(topic: string, received: Buffer): void {
    this.#bus.publish(topic, received);
  }

  /** The topic got its first member on this relay. */
  topicOpened(topic: string): void {
    void this.#bus.open(topic);
  }

  /** The topic's last member on this relay left. */
  topicClosed(topic: string): void {
    this.#bus.close(topic);
  }

  /** Resolves once publishes from other relays to the topic reach this one. */
  subscribed(topic: string): Promise<void> {
    return this.#bus.subscribed(topic);
  }

  /**
   * A local member joined by plain subscribe (room-enter counts its own in `enter`).
   * `incarnation`: the local room's, taken by Redis if this creates the room there.
   */
  memberJoined(topic: string, incarnation: string): void {
    if (!this.#presence.ready) return;
    void this.#presence.join(topic, incarnation).then((room) => {
      if (room) this.#adopt(topic, room.destroyDelay, room.keyCheck, room.incarnation);
    });
  }

  memberLeft(topic: string): void {
    this.#presence.leave(topic);
  }

  enter(args: EnterArgs): Promise<EnterOutcome | null> {
    return this.#presence.enter(args);
  }

  query(rooms: readonly string[]): Promise<SharedRoomInfo[] | null> {
    return this.#presence.query(rooms);
  }

  /** Takes this relay's members out of Redis at once, then closes both connections. */
  async close(): Promise<void> {
    await this.#presence.close();
    await this.#link.close();
  }
}
