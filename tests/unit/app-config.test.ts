import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { AppConfigError, AppConfigErrorCode, REMEMBERED_CONFIG_KEY, loadAppConfig, type AppConfig } from '../../src/lib/app-config';

const PAGE = new URL('https://rooms.example/r/maths-7b');
const LOCAL_PAGE = new URL('http://127.0.0.1:3000/');

/** A host serving `body` as config.json; records the URLs asked for. */
function host(body: string, init: ResponseInit = { headers: { 'content-type': 'application/json' } }) {
  const asked: string[] = [];
  const fetchConfig = (url: string) => {
    asked.push(url);
    return Promise.resolve(new Response(body, init));
  };
  return { asked, fetchConfig };
}
const serving = (config: unknown) => host(JSON.stringify(config)).fetchConfig;
const offline = () => Promise.reject(new TypeError('Failed to fetch'));

/** In-memory localStorage: Node has none, the browser does. */
function fakeStorage(): Storage {
  const items = new Map<string, string>();
  return {
    get length() {
      return items.size;
    },
    clear: () => items.clear(),
    getItem: (key) => items.get(key) ?? null,
    setItem: (key, value) => void items.set(key, String(value)),
    removeItem: (key) => void items.delete(key),
    key: (index) => [...items.keys()][index] ?? null,
  };
}

async function problemsOf(config: unknown): Promise<string[]> {
  const err: unknown = await loadAppConfig(PAGE, serving(config)).catch((caught: unknown) => caught);
  expect(err).toBeInstanceOf(AppConfigError);
  expect((err as AppConfigError).code).toBe(AppConfigErrorCode.INVALID_CONFIG);
  return (err as AppConfigError).problems;
}

beforeEach(() => {
  vi.stubGlobal('localStorage', fakeStorage());
  // The loader says on the console why it fell back; the tests check the outcome instead.
  vi.spyOn(console, 'warn').mockImplementation(() => {});
});
afterEach(() => {
  vi.unstubAllGlobals();
  vi.restoreAllMocks();
});

describe('loadAppConfig: where the relay is', () => {
  it('reads config.json from the app root, whatever page is open', async () => {
    const { asked, fetchConfig } = host('{}');
    await loadAppConfig(PAGE, fetchConfig);
    expect(asked).toEqual(['https://rooms.example/config.json']);
  });

  it('no config.json (404): the relay on the page origin, no ICE servers', async () => {
    const config = await loadAppConfig(LOCAL_PAGE, host('Not found', { status: 404 }).fetchConfig);
    expect(config).toEqual({ signaling: ['ws://127.0.0.1:3000/relay'], iceServers: [] });
  });

  it("a static host's single-page fallback (index.html for a missing file) counts as no file", async () => {
    const config = await loadAppConfig(PAGE, host('<!doctype html><html></html>', { headers: { 'content-type': 'text/html; charset=utf-8' } }).fetchConfig);
    expect(config).toEqual({ signaling: ['wss://rooms.example/relay'], iceServers: [] });
  });

  it('a file without "signaling" keeps the same-origin relay and takes its ICE servers', async () => {
    const config = await loadAppConfig(PAGE, serving({ iceServers: [{ urls: 'stun:stun.example.org:3478' }] }));
    expect(config).toEqual({ signaling: ['wss://rooms.example/relay'], iceServers: [{ urls: 'stun:stun.example.org:3478' }] });
  });

  it('relative relay URLs resolve against the app origin, ws on http pages and wss on https pages', async () => {
    const file = { signaling: ['/relay', 'relay2', '//relay.example/path?token=abc'] };
    expect((await loadAppConfig(PAGE, serving(file))).signaling).toEqual([
      'wss://rooms.example/relay',
      'wss://rooms.example/relay2',
      'wss://relay.example/path?token=abc',
    ]);
    expect((await loadAppConfig(LOCAL_PAGE, serving(file))).signaling).toEqual([
      'ws://127.0.0.1:3000/relay',
      'ws://127.0.0.1:3000/relay2',
      'ws://relay.example/path?token=abc',
    ]);
  });

  it('several relays keep their failover order; a duplicate is listed once', async () => {
    const config = await loadAppConfig(PAGE, serving({ signaling: ['wss://b.example/', 'wss://a.example/', 'https://b.example/'] }));
    expect(config.signaling).toEqual(['wss://b.example/', 'wss://a.example/']);
  });

  it('one relay may be given as a plain string', async () => {
    expect((await loadAppConfig(PAGE, serving({ signaling: 'ws://127.0.0.1:4444' }))).signaling).toEqual(['ws://127.0.0.1:4444/']);
  });
});

describe('loadAppConfig: ICE servers', () => {
  it('takes STUN and TURN servers with their credentials as written', async () => {
    const iceServers = [
      { urls: 'stun:stun.example.org:3478' },
      { urls: ['turn:turn.example.org:3478?transport=udp', 'turns:turn.example.org:5349?transport=tcp'], username: '1767225600:mesh', credential: 'c2VjcmV0' },
      { urls: 'turn:[2001:db8::1]:3478', username: 'u', credential: 'p' },
    ];
    expect((await loadAppConfig(PAGE, serving({ signaling: ['/relay'], iceServers }))).iceServers).toEqual(iceServers);
  });

  it('names every bad ICE field at once', async () => {
    const problems = await problemsOf({
      iceServers: [
        { urls: 'http://stun.example.org' },
        { urls: ['stun:ok.example.org', 42] },
        { urls: 'turn:turn.example.org:3478' },
        { urls: 'turn:turn.example.org', username: 7, credential: 'p' },
        { urls: [] },
        { url: 'stun:old.example.org' },
        'stun:bare.example.org',
      ],
    });
    expect(problems).toEqual([
      'iceServers[0].urls: "http://stun.example.org" is not a stun:, turn: or turns: URL (e.g. "turn:turn.example.org:3478")',
      'iceServers[1].urls[1]: 42 is not a stun:, turn: or turns: URL (e.g. "turn:turn.example.org:3478")',
      'iceServers[2]: a TURN server needs "username" and "credential"',
      'iceServers[3].username: must be a string',
      'iceServers[3]: a TURN server needs "username" and "credential"',
      'iceServers[4].urls: must be a STUN/TURN URL or a non-empty list of them',
      'iceServers[5].url: unknown field (known: urls, username, credential)',
      'iceServers[5].urls: must be a STUN/TURN URL or a non-empty list of them',
      'iceServers[6]: must be an object with "urls" (and "username", "credential" for TURN)',
    ]);
  });

  it('iceServers must be a list', async () => {
    expect(await problemsOf({ iceServers: { urls: 'stun:stun.example.org' } })).toEqual([
      'iceServers: must be a list, e.g. [{ "urls": "stun:stun.example.org:3478" }]',
    ]);
  });
});

describe('loadAppConfig: a malformed file is an error the UI can show', () => {
  it('not JSON: INVALID_JSON with a message that says so', async () => {
    const err: unknown = await loadAppConfig(PAGE, host('{ "signaling": ["/relay"], }').fetchConfig).catch((caught: unknown) => caught);
    expect(err).toBeInstanceOf(AppConfigError);
    expect((err as AppConfigError).code).toBe(AppConfigErrorCode.INVALID_JSON);
    expect((err as AppConfigError).message).toMatch(/^\/config\.json is invalid: not valid JSON/);
  });

  it('bad relay URLs, an empty list and a misspelt field are each named', async () => {
    expect(await problemsOf({ signaling: ['ftp://relay.example', '', 5, 'wss://ok.example'], iceServer: [] })).toEqual([
      'iceServer: unknown field (known: signaling, iceServers)',
      'signaling[0]: "ftp://relay.example" is not a ws:// or wss:// URL or a path like "/relay"',
      'signaling[1]: "" is not a ws:// or wss:// URL or a path like "/relay"',
      'signaling[2]: 5 is not a ws:// or wss:// URL or a path like "/relay"',
    ]);
    expect(await problemsOf({ signaling: [] })).toEqual([
      'signaling: must be a relay URL or a non-empty list of them, e.g. ["wss://relay.example/"] or ["/relay"]',
    ]);
  });

  it('the message lists the problems; keys starting with "_" are comments', async () => {
    const err: unknown = await loadAppConfig(PAGE, serving({ _comment: 'TURN from coturn', signaling: 'mailto:x' })).catch((caught: unknown) => caught);
    expect((err as AppConfigError).message).toBe('/config.json is invalid: signaling[0]: "mailto:x" is not a ws:// or wss:// URL or a path like "/relay"');
  });

  it('a JSON value that is not an object is refused', async () => {
    expect(await problemsOf(['/relay'])).toEqual(['must be a JSON object like { "signaling": ["/relay"], "iceServers": [] }']);
  });

  it('a malformed file does not replace the remembered good one', async () => {
    const good: AppConfig = { signaling: ['wss://relay.example/'], iceServers: [] };
    await loadAppConfig(PAGE, serving(good));
    await expect(loadAppConfig(PAGE, serving({ signaling: 'ftp://x' }))).rejects.toThrow(AppConfigError);
    expect(await loadAppConfig(PAGE, offline)).toEqual(good);
  });
});

describe('loadAppConfig: offline', () => {
  it('network down, nothing remembered: the defaults', async () => {
    expect(await loadAppConfig(PAGE, offline)).toEqual({ signaling: ['wss://rooms.example/relay'], iceServers: [] });
  });

  it('network down: the last config read online', async () => {
    const online = { signaling: ['wss://a.example/', 'wss://b.example/'], iceServers: [{ urls: 'turn:t.example', username: 'u', credential: 'p' }] };
    await loadAppConfig(PAGE, serving(online));
    expect(await loadAppConfig(PAGE, offline)).toEqual(online);
  });

  it('a host error (HTTP 503) is treated like the network being down', async () => {
    await loadAppConfig(PAGE, serving({ signaling: ['wss://a.example/'] }));
    expect((await loadAppConfig(PAGE, host('busy', { status: 503 }).fetchConfig)).signaling).toEqual(['wss://a.example/']);
  });

  it('a removed config.json is remembered too: offline then uses the defaults again', async () => {
    await loadAppConfig(PAGE, serving({ signaling: ['wss://a.example/'] }));
    await loadAppConfig(PAGE, host('', { status: 404 }).fetchConfig);
    expect((await loadAppConfig(PAGE, offline)).signaling).toEqual(['wss://rooms.example/relay']);
  });

  it('a corrupt remembered copy falls back to the defaults', async () => {
    localStorage.setItem(REMEMBERED_CONFIG_KEY, '{"signaling": 12');
    expect(await loadAppConfig(PAGE, offline)).toEqual({ signaling: ['wss://rooms.example/relay'], iceServers: [] });
  });

  it('without localStorage (Node, sandboxed frames) it still loads', async () => {
    vi.unstubAllGlobals();
    expect(typeof localStorage).toBe('undefined');
    expect((await loadAppConfig(PAGE, serving({ signaling: ['wss://a.example/'] }))).signaling).toEqual(['wss://a.example/']);
    expect((await loadAppConfig(PAGE, offline)).signaling).toEqual(['wss://rooms.example/relay']);
  });
});
