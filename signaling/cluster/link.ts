/**
 * The relay's two connections to Redis: one for commands (scripts, PUBLISH) and one in
 * subscriber mode (a connection that SUBSCRIBEs can run nothing else). They reconnect on their
 * own; this module turns their many events into one state, logs each change of it once, and
 * tells the rest of the cluster code when a connection is (again) ready.
 *
 * Commands are never queued while Redis is away (enableOfflineQueue off) and never resent after
 * a reconnect (autoResendUnfulfilledCommands off): a relay that lost Redis answers from its own
 * view at once, and on the way back it re-registers everything it holds (presence.ts), which a
 * replay of stale commands could only spoil.
 */
import { createRequire } from 'node:module';
import type { Redis, RedisOptions } from 'ioredis';
import { redactRedisUrl } from '../options.js';

/**
 * ioredis is loaded when the first link is made, not when the relay's modules are: a relay
 * without REDIS_URL runs with exactly the modules (and heap) it had before Redis support.
 */
function redisClass(): typeof Redis {
  return (createRequire(import.meta.url)('ioredis') as typeof import('ioredis')).Redis;
}

/** `connecting`: never reached yet; `disconnected`: lost, or unreachable, and retrying. */
export type LinkState = 'connecting' | 'connected' | 'disconnected' | 'closed';

const TRANSITIONS: Record<LinkState, readonly LinkState[]> = {
  connecting: ['connected', 'disconnected', 'closed'],
  connected: ['disconnected', 'closed'],
  disconnected: ['connected', 'closed'],
  closed: [],
};

export interface ClusterLog {
  info(line: string): void;
  warn(line: string): void;
}

export interface LinkTuning {
  /** Longest wait between two reconnection attempts. */
  reconnectMaxDelayMs: number;
  /** A command Redis has not answered by then fails, and the relay answers from its own view. */
  commandTimeoutMs: number;
}

export interface LinkEvents {
  /** The command connection is ready (first time or again). */
  commandsReady(): void;
  /** The subscriber connection is ready (first time or again): subscribe to everything needed. */
  subscriberReady(): void;
  /** A message on a subscribed channel. */
  message(channel: Buffer, message: Buffer): void;
}

export class RedisLink {
  readonly commands: Redis;
  readonly subscriber: Redis;
  #state: LinkState = 'connecting';
  #since = Date.now();
  #lastError = '';
  readonly #url: string;

  constructor(
    url: string,
    tuning: LinkTuning,
    private readonly log: ClusterLog,
    private readonly events: LinkEvents,
  ) {
    this.#url = redactRedisUrl(url);
    const Redis = redisClass();
    const common: RedisOptions = {
      enableOfflineQueue: false,
      autoResendUnfulfilledCommands: false,
      autoResubscribe: false,
      maxRetriesPerRequest: 0,
      connectTimeout: 5000,
      // Quick first retries (a Redis restart takes a moment), then at most every few seconds.
      retryStrategy: (attempt) => Math.min(50 * 2 ** Math.min(attempt, 16), tuning.reconnectMaxDelayMs),
    };
    this.commands = new Redis(url, {
      ...common,
      commandTimeout: tuning.commandTimeoutMs,
      // Every PUBLISH and script call of one event-loop turn goes out in one write.
      enableAutoPipelining: true,
      connectionName: 'mesh-rooms-relay',
    });
    this.subscriber = new Redis(url, { ...common, connectionName: 'mesh-rooms-relay-sub' });
    for (const redis of [this.commands, this.subscriber]) {
      redis.on('error', (err: Error) => (this.#lastError = err.message || String(err)));
      redis.on('close', () => this.#update());
      redis.on('end', () => this.#update());
    }
    this.commands.on('ready', () => {
      this.#update();
      if (this.commands.status === 'ready') events.commandsReady();
    });
    this.subscriber.on('ready', () => {
      this.#update();
      if (this.subscriber.status === 'ready') events.subscriberReady();
    });
    this.subscriber.on('messageBuffer', (channel: Buffer, message: Buffer) => events.message(channel, message));
  }

  get state(): LinkState {
    return this.#state;
  }

  get commandsReady(): boolean {
    return this.commands.status === 'ready';
  }

  get subscriberReady(): boolean {
    return this.subscriber.status === 'ready';
  }

  /** Sends what is still queued, then closes both connections. */
  async close(): Promise<void> {
    this.#setState('closed');
    await Promise.all(
      [this.commands, this.subscriber].map(async (redis) => {
        if (redis.status === 'ready') {
          try {
            await redis.quit();
            return;
          } catch {
            // Lost while quitting: disconnect() below ends it all the same.
          }
        }
        redis.disconnect();
      }),
    );
  }

  #update(): void {
    if (this.#state === 'closed') return;
    if (this.commandsReady && this.subscriberReady) this.#setState('connected');
    else if (this.#state === 'connected') this.#setState('disconnected');
    else if (this.#state === 'connecting' && this.#lastError) this.#setState('disconnected');
  }

  #setState(next: LinkState): void {
    const previous = this.#state;
    if (previous === next || !TRANSITIONS[previous].includes(next)) return;
    const seconds = ((Date.now() - this.#since) / 1000).toFixed(1);
    this.#state = next;
    this.#since = Date.now();
    const why = this.#lastError ? ` (${this.#lastError})` : '';
    if (next === 'connected') {
      this.log.info(
        previous === 'connecting'
          ? `relay: redis connected at ${this.#url}: topics and rooms are shared with the other relays`
          : `relay: redis back at ${this.#url} after ${seconds} s: rooms re-registered, cross-relay messages flow again`,
      );
    } else if (next === 'disconnected') {
      this.log.warn(
        `relay: redis ${previous === 'connecting' ? 'unreachable' : 'connection lost'} at ${this.#url}${why}: ` +
          "serving this relay's clients on their own (messages to other relays are dropped, rooms are this relay's view) " +
          'until it answers again; retrying',
      );
    }
    this.#lastError = '';
  }
}
