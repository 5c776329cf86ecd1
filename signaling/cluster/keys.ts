/**
 * Names of everything the relays keep in Redis, all under one prefix so several
 * deployments (or test runs) can share a Redis without meeting.
 *
 * - `relays` (sorted set): each live relay registration → when it expires (ms, Redis clock).
 *   A relay refreshes its own entry on every heartbeat; an entry past its score is dead.
 * - `room:<name>` (hash): `delay` (destroyDelay, s), `key` (password verifier, absent when
 *   unknown), and `m:<registration>` → members that relay has in the room. No TTL while the
 *   room has members; a PEXPIRE of its destroyDelay once the last one leaves.
 * - `relay-rooms:<registration>` (set): rooms in which that registration counts members, so
 *   whoever finds it dead can take its members out of each.
 * - `delayed` (sorted set): rooms created with a destroyDelay → when they end (+inf while
 *   occupied); its size is what the delayed-room cap counts.
 * - channel `topic:<name>`: publishes to that topic, prefixed with the sending process's id.
 */
export const DEFAULT_KEY_PREFIX = 'mesh-rooms:';

export class ClusterKeys {
  readonly relays: string;
  readonly delayed: string;

  constructor(readonly prefix: string) {
    this.relays = `${prefix}relays`;
    this.delayed = `${prefix}delayed`;
  }

  room(name: string): string {
    return `${this.prefix}room:${name}`;
  }

  roomsOf(registration: string): string {
    return `${this.prefix}relay-rooms:${registration}`;
  }

  /** Every channel name starts with this; the topic follows. */
  get channelPrefix(): string {
    return `${this.prefix}topic:`;
  }

  channel(topic: string): string {
    return `${this.prefix}topic:${topic}`;
  }
}
