import { describe, expect, it } from 'vitest';
import { HelpRequested, readServerConfig, usage } from '../../signaling/config.js';
import { DEFAULT_RELAY_OPTIONS, RelayConfigError, resolveRelayOptions, type RelayOptions } from '../../signaling/options.js';

const DEFAULTS = { port: 4444, host: '127.0.0.1' };
const read = (argv: string[], env: NodeJS.ProcessEnv = {}) => readServerConfig(argv, env, DEFAULTS);

describe('readServerConfig [R-72]', () => {
  it('[R-72] with nothing set: the given defaults and no relay overrides', () => {
    expect(read([])).toEqual({ port: 4444, host: '127.0.0.1', relay: {} });
  });

  it('[R-72] reads every relay option from its flag', () => {
    const config = read([
      '--port=0',
      '--host',
      '0.0.0.0',
      '--max-frame-bytes=1024',
      '--max-topics=3',
      '--max-topic-length=16',
      '--rate-limit=2.5',
      '--rate-burst=4',
      '--max-buffered-bytes=2048',
      '--heartbeat-ms=500',
      '--max-connections=7',
      '--max-delayed-rooms=9',
      '--allowed-origins',
      'https://a.example, https://b.example,',
      '--token=s3cret',
      '--redis-url',
      'redis://127.0.0.1:6390/2',
    ]);
    expect(config).toEqual({
      port: 0,
      host: '0.0.0.0',
      relay: {
        maxFrameBytes: 1024,
        maxTopicsPerConnection: 3,
        maxTopicLength: 16,
        rateLimitPerSecond: 2.5,
        rateLimitBurst: 4,
        maxBufferedBytes: 2048,
        heartbeatIntervalMs: 500,
        maxConnections: 7,
        maxDelayedRooms: 9,
        allowedOrigins: ['https://a.example', 'https://b.example'],
        token: 's3cret',
        redisUrl: 'redis://127.0.0.1:6390/2',
      } satisfies RelayOptions,
    });
  });

  it('[R-72] reads every relay option from its environment variable', () => {
    const config = read([], {
      PORT: '8080',
      HOST: '::1',
      RELAY_MAX_FRAME_BYTES: '1024',
      RELAY_MAX_TOPICS: '3',
      RELAY_MAX_TOPIC_LENGTH: '16',
      RELAY_RATE_LIMIT: '0',
      RELAY_RATE_BURST: '4',
      RELAY_MAX_BUFFERED_BYTES: '2048',
      RELAY_HEARTBEAT_MS: '500',
      RELAY_MAX_CONNECTIONS: '7',
      RELAY_MAX_DELAYED_ROOMS: '0',
      RELAY_ALLOWED_ORIGINS: 'https://a.example',
      RELAY_TOKEN: 'env-token',
      REDIS_URL: 'rediss://:pw@redis.example:6380',
    });
    expect(config).toEqual({
      port: 8080,
      host: '::1',
      relay: {
        maxFrameBytes: 1024,
        maxTopicsPerConnection: 3,
        maxTopicLength: 16,
        rateLimitPerSecond: 0,
        rateLimitBurst: 4,
        maxBufferedBytes: 2048,
        heartbeatIntervalMs: 500,
        maxConnections: 7,
        maxDelayedRooms: 0,
        allowedOrigins: ['https://a.example'],
        token: 'env-token',
        redisUrl: 'rediss://:pw@redis.example:6380',
      },
    });
  });

  it('[R-72] a flag wins over its environment variable', () => {
    const config = read(['--port', '5000', '--max-topics', '2', '--token', 'flag'], {
      PORT: '6000',
      RELAY_MAX_TOPICS: '9',
      RELAY_TOKEN: 'env',
      RELAY_MAX_CONNECTIONS: '11',
    });
    expect(config.port).toBe(5000);
    expect(config.relay).toEqual({ maxTopicsPerConnection: 2, token: 'flag', maxConnections: 11 });
  });

  it('[R-72] an empty environment variable counts as unset', () => {
    expect(read([], { PORT: '', RELAY_TOKEN: '', RELAY_MAX_TOPICS: '' })).toEqual({ port: 4444, host: '127.0.0.1', relay: {} });
  });

  it.each([
    [['--port', 'abc'], /--port must be an integer, got "abc"/],
    [['--port', '1.5'], /--port must be an integer/],
    [['--max-frame-bytes', '64k'], /--max-frame-bytes must be an integer, got "64k"/],
    [['--heartbeat-ms', 'Infinity'], /--heartbeat-ms must be an integer/],
    [['--rate-limit', 'fast'], /--rate-limit must be a number, got "fast"/],
    [['--rate-burst', 'NaN'], /--rate-burst must be a number/],
  ])('[R-72] %j is a RelayConfigError naming the flag', (argv, message) => {
    expect(() => read(argv)).toThrow(RelayConfigError);
    expect(() => read(argv)).toThrow(message);
  });

  it('[R-72] a bad number in an environment variable is a RelayConfigError too', () => {
    expect(() => read([], { RELAY_MAX_TOPICS: 'many' })).toThrow(RelayConfigError);
    expect(() => read([], { PORT: 'http' })).toThrow(/--port must be an integer, got "http"/);
  });

  it.each([
    [['--port=-1']],
    [['--port', '65536']],
    [['--max-frame-bytes', '0']],
    [['--max-topics=-3']],
    [['--rate-limit=-1']],
    [['--rate-limit', '10', '--rate-burst', '0']],
    [['--redis-url', 'localhost:6379']],
    [['--redis-url', 'http://127.0.0.1:6379']],
    [['--redis-url', 'redis://127.0.0.1:6379/cache']],
  ])('[R-72] a well-formed number the relay cannot use (%j) is a RelayConfigError, not a crash at start', (argv) => {
    expect(() => read(argv)).toThrow(RelayConfigError);
  });

  it('[R-72] an unknown flag or a positional argument is a RelayConfigError', () => {
    expect(() => read(['--max-frame-size', '10'])).toThrow(RelayConfigError);
    expect(() => read(['4444'])).toThrow(RelayConfigError);
  });

  it('[R-72] --help is reported as HelpRequested, and usage lists every flag with its variable', () => {
    expect(() => read(['--help'])).toThrow(HelpRequested);
    const text = usage('relay', DEFAULTS);
    for (const [flag, env] of [
      ['--port', 'PORT'],
      ['--max-frame-bytes', 'RELAY_MAX_FRAME_BYTES'],
      ['--rate-limit', 'RELAY_RATE_LIMIT'],
      ['--allowed-origins', 'RELAY_ALLOWED_ORIGINS'],
      ['--token', 'RELAY_TOKEN'],
      ['--redis-url', 'REDIS_URL'],
    ]) {
      expect(text).toMatch(new RegExp(`${flag} .* ${env}`));
    }
  });
});

describe('resolveRelayOptions [R-72]', () => {
  it('[R-72] no options: the documented defaults', () => {
    expect(resolveRelayOptions()).toEqual(DEFAULT_RELAY_OPTIONS);
    expect(DEFAULT_RELAY_OPTIONS.maxFrameBytes).toBe(64 * 1024);
  });

  it('[R-72] given options override the defaults; undefined ones do not', () => {
    const options = resolveRelayOptions({ maxTopicsPerConnection: 3, token: 't', maxFrameBytes: undefined });
    expect(options).toEqual({ ...DEFAULT_RELAY_OPTIONS, maxTopicsPerConnection: 3, token: 't' });
  });

  it('[R-72] does not mutate the frozen defaults', () => {
    resolveRelayOptions({ maxConnections: 1 });
    expect(DEFAULT_RELAY_OPTIONS.maxConnections).toBe(20_000);
    expect(Object.isFrozen(DEFAULT_RELAY_OPTIONS)).toBe(true);
  });

  it.each([
    'maxFrameBytes',
    'maxTopicsPerConnection',
    'maxTopicLength',
    'maxBufferedBytes',
    'heartbeatIntervalMs',
    'maxConnections',
  ] as const)('[R-72] %s must be a positive integer', (key) => {
    for (const bad of [0, -1, 1.5, Number.NaN, Number.POSITIVE_INFINITY]) {
      expect(() => resolveRelayOptions({ [key]: bad })).toThrow(RelayConfigError);
      expect(() => resolveRelayOptions({ [key]: bad })).toThrow(key);
    }
    expect(resolveRelayOptions({ [key]: 1 })[key]).toBe(1);
  });

  it.each(['rateLimitPerSecond', 'rateLimitBurst', 'maxDelayedRooms'] as const)('[R-72] %s must be a number ≥ 0', (key) => {
    for (const bad of [-1, Number.NaN, Number.POSITIVE_INFINITY]) {
      expect(() => resolveRelayOptions({ [key]: bad })).toThrow(RelayConfigError);
    }
    // A burst of 0 is only usable with rate limiting off.
    const zero: Partial<RelayOptions> = key === 'rateLimitBurst' ? { rateLimitBurst: 0, rateLimitPerSecond: 0 } : { [key]: 0 };
    expect(resolveRelayOptions(zero)[key]).toBe(0);
  });

  it('[R-72] rate limiting needs a burst of at least 1; rate 0 (off) does not', () => {
    expect(() => resolveRelayOptions({ rateLimitPerSecond: 5, rateLimitBurst: 0.5 })).toThrow(/rateLimitBurst must be at least 1/);
    expect(resolveRelayOptions({ rateLimitPerSecond: 0, rateLimitBurst: 0 })).toMatchObject({ rateLimitPerSecond: 0, rateLimitBurst: 0 });
    expect(resolveRelayOptions({ rateLimitPerSecond: 0.5, rateLimitBurst: 1 })).toMatchObject({ rateLimitPerSecond: 0.5 });
  });

  it('[R-72] RelayConfigError is an Error with its own name', () => {
    try {
      resolveRelayOptions({ maxConnections: 0 });
      expect.unreachable();
    } catch (err) {
      expect(err).toBeInstanceOf(Error);
      expect((err as Error).name).toBe('RelayConfigError');
    }
  });
});

describe('redisUrl [R-73]', () => {
  it('[R-73] empty (the default) means standalone; redis:// and rediss:// URLs are accepted', () => {
    expect(DEFAULT_RELAY_OPTIONS.redisUrl).toBe('');
    for (const url of ['redis://127.0.0.1:6379', 'redis://:secret@redis.internal:6379/3', 'rediss://user:pw@redis.example']) {
      expect(resolveRelayOptions({ redisUrl: url }).redisUrl).toBe(url);
    }
  });

  it('[R-73] a bad URL is a RelayConfigError that does not echo a password', () => {
    expect(() => resolveRelayOptions({ redisUrl: 'not a url' })).toThrow(RelayConfigError);
    expect(() => resolveRelayOptions({ redisUrl: 'https://:hunter2@redis.example' })).toThrow(/redis:\/\/ or rediss:\/\//);
    try {
      resolveRelayOptions({ redisUrl: 'https://:hunter2@redis.example' });
    } catch (err) {
      expect((err as Error).message).not.toContain('hunter2');
    }
  });
});
