/**
 * Relay configuration: every limit from SPEC in one place, with the defaults a public
 * deployment can live with. The CLI (cli.ts) fills these from flags and environment variables.
 */
export interface RelayLimits {
  /** Largest accepted WebSocket frame; a bigger one closes the sender with 1009. */
  maxFrameBytes: number;
  /** Topics one connection may be subscribed to at once. */
  maxTopicsPerConnection: number;
  /** Longest topic (room) name, in UTF-16 code units. */
  maxTopicLength: number;
  /** Sustained messages per second per connection (token bucket refill rate); 0 disables. */
  rateLimitPerSecond: number;
  /** Messages a connection may send in a burst before it is throttled. */
  rateLimitBurst: number;
  /** A receiver whose unsent backlog grows past this is dropped as a slow consumer. */
  maxBufferedBytes: number;
  /** WebSocket ping interval; a connection that misses one pong is terminated. */
  heartbeatIntervalMs: number;
  /** Open connections the process accepts; further upgrades get HTTP 503. */
  maxConnections: number;
  /** Rooms with a destroyDelay (occupied or waiting it out) the relay keeps track of. */
  maxDelayedRooms: number;
}

export interface RelayOptions extends RelayLimits {
  /** Browser origins allowed to connect (exact match, e.g. https://rooms.example); empty = any. */
  allowedOrigins: string[];
  /** Shared secret clients must present as `?token=` in the relay URL; empty = none. */
  token: string;
  /**
   * `redis://` or `rediss://` URL of the Redis that several relay processes share topics and
   * room presence through; empty = standalone (no Redis, nothing changes).
   */
  redisUrl: string;
}

export const DEFAULT_RELAY_OPTIONS: Readonly<RelayOptions> = Object.freeze({
  maxFrameBytes: 64 * 1024,
  maxTopicsPerConnection: 64,
  maxTopicLength: 256,
  // A tab in 5 rooms meeting 7 peers each sends a few hundred WebRTC signals within a second
  // or two; the burst covers that, the rate stops floods.
  rateLimitPerSecond: 200,
  rateLimitBurst: 1000,
  maxBufferedBytes: 4 * 1024 * 1024,
  heartbeatIntervalMs: 30_000,
  maxConnections: 20_000,
  maxDelayedRooms: 10_000,
  allowedOrigins: [],
  token: '',
  redisUrl: '',
});

/** Longest destroyDelay a room may ask for: one definition for relay and client. */
export { MAX_DESTROY_DELAY_SECONDS } from '../src/lib/rooms/limits.js';

export class RelayConfigError extends Error {
  override name = 'RelayConfigError';
}

/** Merges partial options over the defaults and rejects values that cannot work. */
export function resolveRelayOptions(partial: Partial<RelayOptions> = {}): RelayOptions {
  const options: RelayOptions = { ...DEFAULT_RELAY_OPTIONS, ...stripUndefined(partial) };
  const positive: (keyof RelayLimits)[] = [
    'maxFrameBytes',
    'maxTopicsPerConnection',
    'maxTopicLength',
    'maxBufferedBytes',
    'heartbeatIntervalMs',
    'maxConnections',
  ];
  for (const key of positive) {
    if (!Number.isInteger(options[key]) || options[key] <= 0) {
      throw new RelayConfigError(`${key} must be a positive integer, got ${options[key]}`);
    }
  }
  for (const key of ['rateLimitPerSecond', 'rateLimitBurst', 'maxDelayedRooms'] as const) {
    if (!Number.isFinite(options[key]) || options[key] < 0) {
      throw new RelayConfigError(`${key} must be a number ≥ 0, got ${options[key]}`);
    }
  }
  if (options.rateLimitPerSecond > 0 && options.rateLimitBurst < 1) {
    throw new RelayConfigError('rateLimitBurst must be at least 1 when rate limiting is on');
  }
  if (options.redisUrl !== '') checkRedisUrl(options.redisUrl);
  return options;
}

/** A Redis URL the relay can use; anything else is refused at start, not on first connect. */
function checkRedisUrl(url: string): void {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    // Not a URL at all: say so without echoing it, since it may carry a password.
    throw new RelayConfigError('redisUrl must be a redis:// or rediss:// URL (it is not a URL)');
  }
  if (parsed.protocol !== 'redis:' && parsed.protocol !== 'rediss:') {
    throw new RelayConfigError(`redisUrl must be a redis:// or rediss:// URL, got ${parsed.protocol}//…`);
  }
  if (parsed.hostname === '') throw new RelayConfigError('redisUrl must name a host, e.g. redis://127.0.0.1:6379');
  const db = parsed.pathname.replace(/^\//, '');
  if (db !== '' && !/^\d+$/.test(db)) throw new RelayConfigError(`redisUrl path must be a database number, got "/${db}"`);
}

/** The URL with its password replaced, fit for a log line. */
export function redactRedisUrl(url: string): string {
  try {
    const parsed = new URL(url);
    if (parsed.password) parsed.password = '***';
    return parsed.toString();
  } catch {
    // Only validated URLs reach here; never print an unparsable one, it may hold a secret.
    return '(redis url)';
  }
}

function stripUndefined<T extends object>(value: T): Partial<T> {
  return Object.fromEntries(Object.entries(value).filter(([, v]) => v !== undefined)) as Partial<T>;
}
