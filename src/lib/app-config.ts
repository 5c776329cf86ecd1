/**
 * Run-time configuration of the app: which relay(s) to use and which ICE (STUN/TURN) servers,
 * read from `config.json` next to the app so a self-hoster edits one file instead of rebuilding
 * (SPEC §7, issue 5). Plain TS with no DOM use at import time, so it is unit-tested in Node.
 *
 * Outcomes, so the UI can always start and never hides a mistake:
 * - no file (404, or a static host's single-page fallback answering with HTML) → the same-origin
 *   relay and no ICE servers;
 * - a file that is not valid → `AppConfigError` naming every bad field (never silently ignored);
 * - the network is gone → the last good config remembered in localStorage, else the defaults.
 */
import { sameOriginRelayUrl } from './relay-url';

export interface AppConfig {
  /** Relay URLs (ws:// or wss://), in failover order. */
  signaling: string[];
  iceServers: RTCIceServer[];
}

/** Where the file lives, relative to the app's root (it ships as `static/config.json`). */
export const CONFIG_PATH = '/config.json';
/** localStorage key of the last config read from the network (used when offline). */
export const REMEMBERED_CONFIG_KEY = 'mesh-rooms.app-config';

export const AppConfigErrorCode = {
  /** The file is not JSON. */
  INVALID_JSON: 'INVALID_JSON',
  /** The file is JSON, but a field is missing, misspelt or of the wrong kind. */
  INVALID_CONFIG: 'INVALID_CONFIG',
} as const;
export type AppConfigErrorCode = (typeof AppConfigErrorCode)[keyof typeof AppConfigErrorCode];

export class AppConfigError extends Error {
  override name = 'AppConfigError';
  constructor(
    readonly code: AppConfigErrorCode,
    /** One line per problem, each naming its field (`iceServers[1].urls: …`), for the UI to list. */
    readonly problems: string[],
  ) {
    super(`${CONFIG_PATH} is invalid: ${problems.join('; ')}`);
  }
}

export function isAppConfigError(err: unknown): err is AppConfigError {
  return err instanceof AppConfigError;
}

/** The same-origin relay (`npm start` serves it at `/relay`) and no STUN/TURN: nothing leaves the host. */
export function defaultAppConfig(pageUrl: URL): AppConfig {
  return { signaling: [sameOriginRelayUrl(pageUrl)], iceServers: [] };
}

type FetchConfig = (url: string) => Promise<Response>;

// `no-cache` revalidates with the server, so a self-hoster's edit shows on the next load even
// when their static host sends a long max-age.
const fetchWithRevalidation: FetchConfig = (url) => fetch(url, { cache: 'no-cache' });

export async function loadAppConfig(pageUrl: URL, fetchConfig: FetchConfig = fetchWithRevalidation): Promise<AppConfig> {
  const configUrl = new URL(CONFIG_PATH, pageUrl);
  let body: string | null;
  try {
    body = await readConfigFile(configUrl, fetchConfig);
  } catch (err) {
    // Offline, or the host is failing: the app shell must still open (SPEC §5 PWA), with the
    // relays it used last time.
    console.warn(`${CONFIG_PATH} could not be read (${describe(err)}); using the last known configuration`);
    return rememberedConfig(configUrl) ?? defaultAppConfig(pageUrl);
  }
  const config = body === null ? defaultAppConfig(pageUrl) : parseAppConfig(body, configUrl);
  remember(config);
  return config;
}

/** The file's text, `null` when there is no file; throws when the network or the host fails. */
async function readConfigFile(configUrl: URL, fetchConfig: FetchConfig): Promise<string | null> {
  const response = await fetchConfig(configUrl.href);
  if (response.status === 404 || response.status === 410) return null;
  if (!response.ok) throw new Error(`HTTP ${response.status}`);
  // A static host with a single-page fallback answers a missing file with index.html.
  if ((response.headers.get('content-type') ?? '').includes('text/html')) return null;
  return response.text();
}

/** Validates the text of a config.json. `configUrl` is what relative relay URLs resolve against. */
export function parseAppConfig(text: string, configUrl: URL): AppConfig {
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch (err) {
    throw new AppConfigError(AppConfigErrorCode.INVALID_JSON, [`not valid JSON (${describe(err)})`]);
  }
  const problems: string[] = [];
  const config = readConfig(raw, configUrl, problems);
  if (problems.length > 0) throw new AppConfigError(AppConfigErrorCode.INVALID_CONFIG, problems);
  return config;
}

const KNOWN_KEYS = new Set(['signaling', 'iceServers']);
const ICE_SERVER_KEYS = new Set(['urls', 'username', 'credential']);
/** What RTCPeerConnection accepts: `stun:host[:port]`, `turn(s):host[:port][?transport=udp|tcp]`. */
const ICE_URL = /^(?:stun:[^\s?/]+|turns?:[^\s?/]+(?:\?transport=(?:udp|tcp))?)$/;

function readConfig(raw: unknown, configUrl: URL, problems: string[]): AppConfig {
  if (!isPlainObject(raw)) {
    problems.push('must be a JSON object like { "signaling": ["/relay"], "iceServers": [] }');
    return defaultAppConfig(configUrl);
  }
  for (const key of Object.keys(raw)) {
    // A misspelt key would otherwise be ignored without a word; `_`-keys are free for comments.
    if (!KNOWN_KEYS.has(key) && !key.startsWith('_')) problems.push(`${key}: unknown field (known: signaling, iceServers)`);
  }
  return {
    signaling: raw.signaling === undefined ? defaultAppConfig(configUrl).signaling : readSignaling(raw.signaling, configUrl, problems),
    iceServers: raw.iceServers === undefined ? [] : readIceServers(raw.iceServers, problems),
  };
}

function readSignaling(value: unknown, configUrl: URL, problems: string[]): string[] {
  const list = typeof value === 'string' ? [value] : value;
  if (!Array.isArray(list) || list.length === 0) {
    problems.push('signaling: must be a relay URL or a non-empty list of them, e.g. ["wss://relay.example/"] or ["/relay"]');
    return [];
  }
  const urls: string[] = [];
  list.forEach((entry, i) => {
    const url = relayUrl(entry, configUrl);
    if (url === null) {
      problems.push(`signaling[${i}]: ${JSON.stringify(entry)} is not a ws:// or wss:// URL or a path like "/relay"`);
    } else if (!urls.includes(url)) {
      urls.push(url);
    }
  });
  return urls;
}

/**
 * A relative URL resolves against config.json (so `/relay` and `relay` both mean the app's own
 * origin, whatever page is open) and takes ws/wss from http/https, as the page would.
 */
function relayUrl(entry: unknown, configUrl: URL): string | null {
  if (typeof entry !== 'string' || entry.trim() === '') return null;
  let url: URL;
  try {
    url = new URL(entry.trim(), configUrl);
  } catch {
    // An unparsable URL is reported by the caller with the field that holds it.
    return null;
  }
  if (url.protocol === 'http:') url.protocol = 'ws:';
  else if (url.protocol === 'https:') url.protocol = 'wss:';
  if (url.protocol !== 'ws:' && url.protocol !== 'wss:') return null;
  url.hash = '';
  return url.href;
}

function readIceServers(value: unknown, problems: string[]): RTCIceServer[] {
  if (!Array.isArray(value)) {
    problems.push('iceServers: must be a list, e.g. [{ "urls": "stun:stun.example.org:3478" }]');
    return [];
  }
  const servers: RTCIceServer[] = [];
  value.forEach((entry, i) => {
    const server = readIceServer(entry, `iceServers[${i}]`, problems);
    if (server) servers.push(server);
  });
  return servers;
}

function readIceServer(entry: unknown, field: string, problems: string[]): RTCIceServer | null {
  if (!isPlainObject(entry)) {
    problems.push(`${field}: must be an object with "urls" (and "username", "credential" for TURN)`);
    return null;
  }
  const before = problems.length;
  for (const key of Object.keys(entry)) {
    if (!ICE_SERVER_KEYS.has(key)) problems.push(`${field}.${key}: unknown field (known: urls, username, credential)`);
  }
  const urls = typeof entry.urls === 'string' ? [entry.urls] : entry.urls;
  if (!Array.isArray(urls) || urls.length === 0) {
    problems.push(`${field}.urls: must be a STUN/TURN URL or a non-empty list of them`);
  } else {
    urls.forEach((url, j) => {
      const where = typeof entry.urls === 'string' ? `${field}.urls` : `${field}.urls[${j}]`;
      if (typeof url !== 'string' || !ICE_URL.test(url)) {
        problems.push(`${where}: ${JSON.stringify(url)} is not a stun:, turn: or turns: URL (e.g. "turn:turn.example.org:3478")`);
      }
    });
  }
  for (const key of ['username', 'credential'] as const) {
    if (entry[key] !== undefined && typeof entry[key] !== 'string') problems.push(`${field}.${key}: must be a string`);
  }
  // RTCPeerConnection refuses a TURN server without both, which would fail every room later.
  const hasTurn = Array.isArray(urls) && urls.some((url) => typeof url === 'string' && /^turns?:/.test(url));
  if (hasTurn && (typeof entry.username !== 'string' || typeof entry.credential !== 'string')) {
    problems.push(`${field}: a TURN server needs "username" and "credential"`);
  }
  if (problems.length > before) return null;
  const server: RTCIceServer = { urls: entry.urls as string | string[] };
  if (typeof entry.username === 'string') server.username = entry.username;
  if (typeof entry.credential === 'string') server.credential = entry.credential;
  return server;
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function describe(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}

/** localStorage, when this page may use it (absent in Node; throws in some sandboxed frames). */
function storage(): Storage | null {
  try {
    return typeof localStorage === 'undefined' ? null : localStorage;
  } catch (err) {
    console.warn(`localStorage is not available (${describe(err)}); the config is not remembered for offline use`);
    return null;
  }
}

function remember(config: AppConfig): void {
  try {
    storage()?.setItem(REMEMBERED_CONFIG_KEY, JSON.stringify(config));
  } catch (err) {
    // A full or disabled storage only costs the offline fallback, not this load.
    console.warn(`could not remember the config for offline use (${describe(err)})`);
  }
}

/** The remembered config, checked again like a file (the stored copy may be from an older app). */
function rememberedConfig(configUrl: URL): AppConfig | null {
  try {
    const text = storage()?.getItem(REMEMBERED_CONFIG_KEY);
    return text ? parseAppConfig(text, configUrl) : null;
  } catch (err) {
    console.warn(`the remembered config is unusable (${describe(err)}); using the defaults`);
    return null;
  }
}
