/**
 * Relay configuration from command-line flags and environment variables (flags win).
 * Shared by the standalone relay (cli.ts) and the app server (server/start.ts).
 */
import { parseArgs } from 'node:util';
import { DEFAULT_RELAY_OPTIONS, RelayConfigError, resolveRelayOptions, type RelayOptions } from './options.js';

/** Each relay option: its flag, its environment variable, and how to read it. */
const RELAY_SETTINGS = {
  maxFrameBytes: { flag: 'max-frame-bytes', env: 'RELAY_MAX_FRAME_BYTES', kind: 'int' },
  maxTopicsPerConnection: { flag: 'max-topics', env: 'RELAY_MAX_TOPICS', kind: 'int' },
  maxTopicLength: { flag: 'max-topic-length', env: 'RELAY_MAX_TOPIC_LENGTH', kind: 'int' },
  rateLimitPerSecond: { flag: 'rate-limit', env: 'RELAY_RATE_LIMIT', kind: 'number' },
  rateLimitBurst: { flag: 'rate-burst', env: 'RELAY_RATE_BURST', kind: 'number' },
  maxBufferedBytes: { flag: 'max-buffered-bytes', env: 'RELAY_MAX_BUFFERED_BYTES', kind: 'int' },
  heartbeatIntervalMs: { flag: 'heartbeat-ms', env: 'RELAY_HEARTBEAT_MS', kind: 'int' },
  maxConnections: { flag: 'max-connections', env: 'RELAY_MAX_CONNECTIONS', kind: 'int' },
  maxDelayedRooms: { flag: 'max-delayed-rooms', env: 'RELAY_MAX_DELAYED_ROOMS', kind: 'int' },
  allowedOrigins: { flag: 'allowed-origins', env: 'RELAY_ALLOWED_ORIGINS', kind: 'list' },
  token: { flag: 'token', env: 'RELAY_TOKEN', kind: 'string' },
  redisUrl: { flag: 'redis-url', env: 'REDIS_URL', kind: 'string' },
} as const satisfies Record<keyof RelayOptions, { flag: string; env: string; kind: string }>;

export interface ServerConfig {
  port: number;
  host: string;
  relay: Partial<RelayOptions>;
}

export function readServerConfig(
  argv: string[],
  env: NodeJS.ProcessEnv,
  defaults: { port: number; host: string },
): ServerConfig {
  const flagOptions = Object.fromEntries([
    ['port', { type: 'string' }],
    ['host', { type: 'string' }],
    ['help', { type: 'boolean' }],
    ...Object.values(RELAY_SETTINGS).map((s) => [s.flag, { type: 'string' }]),
  ]) as Record<string, { type: 'string' | 'boolean' }>;
  let values: Record<string, string | boolean | undefined>;
  try {
    values = parseArgs({ args: argv, options: flagOptions, strict: true, allowPositionals: false }).values;
  } catch (err) {
    throw new RelayConfigError((err as Error).message);
  }
  if (values.help) throw new HelpRequested();
  const read = (flag: string, envName: string): string | undefined => {
    const value = values[flag] ?? env[envName];
    return typeof value === 'string' && value !== '' ? value : undefined;
  };
  const relay: Partial<RelayOptions> = {};
  for (const [key, setting] of Object.entries(RELAY_SETTINGS) as [keyof RelayOptions, (typeof RELAY_SETTINGS)[keyof RelayOptions]][]) {
    const raw = read(setting.flag, setting.env);
    if (raw === undefined) continue;
    (relay as Record<string, unknown>)[key] = convert(raw, setting.kind, `--${setting.flag}`);
  }
  const port = convert(read('port', 'PORT') ?? String(defaults.port), 'int', '--port') as number;
  // Well-formed numbers can still be unusable (--port 70000, --max-frame-bytes 0). Refuse them
  // here as a RelayConfigError, so the CLI and `npm start` exit 2 with the usage text, instead
  // of crashing later in server.listen() or createRelay() (exit 1 or an uncaught stack trace).
  if (port < 0 || port > 65_535) throw new RelayConfigError(`--port must be from 0 to 65535, got ${port}`);
  resolveRelayOptions(relay);
  return { port, host: read('host', 'HOST') ?? defaults.host, relay };
}

export class HelpRequested extends Error {}

export function usage(command: string, defaults: { port: number; host: string }): string {
  const rows = [
    [`--port <n>`, 'PORT', String(defaults.port)],
    [`--host <addr>`, 'HOST', defaults.host],
    ...Object.entries(RELAY_SETTINGS).map(([key, s]) => [`--${s.flag} <${s.kind}>`, s.env, showDefault(DEFAULT_RELAY_OPTIONS[key as keyof RelayOptions])]),
  ];
  return [
    `Usage: ${command} [options]`,
    'Every option can also be set by its environment variable; a flag wins over the variable.',
    'Defaults and meanings are listed in the README (Configuration).',
    '',
    ...rows.map(([flag, envName, def]) => `  ${flag.padEnd(30)} ${envName.padEnd(28)} ${def}`),
  ].join('\n');
}

function showDefault(value: number | string | string[]): string {
  if (Array.isArray(value)) return value.length ? value.join(',') : '(any)';
  return value === '' ? '(none)' : String(value);
}

function convert(raw: string, kind: string, name: string): string | number | string[] {
  switch (kind) {
    case 'int':
    case 'number': {
      const value = Number(raw);
      if (!Number.isFinite(value) || (kind === 'int' && !Number.isInteger(value))) {
        throw new RelayConfigError(`${name} must be ${kind === 'int' ? 'an integer' : 'a number'}, got "${raw}"`);
      }
      return value;
    }
    case 'list':
      return raw.split(',').map((item) => item.trim()).filter(Boolean);
    default:
      return raw;
  }
}
