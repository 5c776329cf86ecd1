/**
 * `npm run bench:app-load`: what the lobby costs a first-time visitor (issue 5, Benchmark).
 * Target: ≤ 150 KB of gzipped JavaScript on the first load (MiroTalk P2P's join page: ~2 MB).
 *
 * The app is built and served from a private copy of the checkout (bench/app/private-app.ts)
 * by the same server as `npm start`, which sends the build's precompressed .br/.gz files.
 * Each run opens `/` in a fresh browser context of Debian's Chromium (empty cache, no service
 * worker yet) and records, from the DevTools protocol's Network events, every response the page
 * receives: bytes on the wire (`encodedDataLength`, headers included), the body as sent
 * (`content-length`: the compressed file) and decoded. Runs alternate between two encodings:
 *   - `gzip`: the request says `Accept-Encoding: gzip` only (the target is stated in gzip);
 *   - `browser`: what Chromium asks for by itself (gzip, deflate, br, zstd: the server picks br).
 * Timings, from navigation start (the page's `performance.timeOrigin`), watched in the page:
 *   - interactive: the join form's "Join" button is enabled and its name field is enabled (the
 *     script then types a name into it and checks the field took it);
 *   - relay: the lobby says "Relay connected." (config.json read, relay probed);
 *   - first contentful paint.
 * Then it says which packages the lobby's JavaScript holds (from the build's module sizes).
 * Numbers are printed, never asserted.
 * Options: --runs 10 --port 4401 --app-dir /tmp/f-app --rebuild auto|always|never
 */
import { cpus, loadavg } from 'node:os';
import { existsSync, readFileSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { expect, type Browser, type Page } from '@playwright/test';
import { launchChromium } from './media/pages.js';
import { MODULE_SIZES_FILE, preparePrivateApp, startAppServer, REPO_ROOT } from './app/private-app.js';
import { moduleGroup, type ModuleSizes } from './app/module-sizes.js';

const { values: args } = parseArgs({
  options: {
    runs: { type: 'string', default: '10' },
    port: { type: 'string', default: '4401' },
    'app-dir': { type: 'string', default: '/tmp/f-app' },
    rebuild: { type: 'string', default: 'auto' },
  },
});
const runs = Number(args.runs);
const appDir = args['app-dir'];
const rebuild = args.rebuild as 'auto' | 'always' | 'never';
if (!Number.isInteger(runs) || runs < 1) throw new Error(`--runs must be a whole number ≥ 1, got ${args.runs}`);
if (!['auto', 'always', 'never'].includes(rebuild)) throw new Error(`--rebuild must be auto, always or never, got ${args.rebuild}`);

type Encoding = 'gzip' | 'browser';
type Kind = 'js' | 'css' | 'html' | 'other';

interface LoadedFile {
  path: string;
  kind: Kind;
  contentEncoding: string;
  /** Bytes on the wire, response headers included. */
  wire: number;
  /** The response body as sent (compressed when the server compressed it). */
  body: number;
  decoded: number;
  /** Served from the service worker's cache: nothing went over the network for it. */
  fromServiceWorker: boolean;
  finished: boolean;
}

interface RunResult {
  encoding: Encoding;
  /** What the lobby loads by itself, until it is usable and the network is idle. */
  files: LoadedFile[];
  /** What touching the join form then fetches ahead of need: the room code. */
  prefetched: LoadedFile[];
  interactiveMs: number;
  relayMs: number;
  fcpMs: number;
}

function kindOf(path: string, type: string): Kind {
  if (path.endsWith('.js') || type === 'Script') return 'js';
  if (path.endsWith('.css') || type === 'Stylesheet') return 'css';
  if (type === 'Document') return 'html';
  return 'other';
}

/** Records every response of the page through its own DevTools session (before navigating). */
async function recordResponses(page: Page): Promise<() => LoadedFile[]> {
  const cdp = await page.context().newCDPSession(page);
  const byId = new Map<string, LoadedFile>();
  cdp.on('Network.responseReceived', ({ requestId, type, response }) => {
    const headers = Object.fromEntries(Object.entries(response.headers).map(([name, value]) => [name.toLowerCase(), String(value)]));
    const path = new URL(response.url).pathname;
    byId.set(requestId, {
      path,
      kind: kindOf(path, type),
      contentEncoding: headers['content-encoding'] ?? 'identity',
      wire: 0,
      body: Number(headers['content-length'] ?? NaN),
      decoded: 0,
      fromServiceWorker: Boolean(response.fromServiceWorker),
      finished: false,
    });
  });
  cdp.on('Network.dataReceived', ({ requestId, dataLength }) => {
    const file = byId.get(requestId);
    if (file) file.decoded += dataLength;
  });
  cdp.on('Network.loadingFinished', ({ requestId, encodedDataLength }) => {
    const file = byId.get(requestId);
    if (file) Object.assign(file, { wire: encodedDataLength, finished: true });
  });
  await cdp.send('Network.enable');
  // Finished responses only: a WebSocket (the relay probe) or an unfinished request has no size.
  // One the service worker answered from its cache finishes with nothing on the wire.
  return () => [...byId.values()].filter((file) => file.wire > 0 || (file.finished && file.fromServiceWorker));
}

/**
 * Watches, from the first byte of the document, for the moments the lobby becomes usable. A
 * string, not a function: tsx compiles functions with `__name(...)` helpers that the page lacks.
 */
const WATCH_LOBBY = `(() => {
  const marks = { interactive: -1, relay: -1 };
  window.benchMarks = marks;
  const check = () => {
    if (marks.interactive < 0) {
      const form = document.querySelector('form[aria-labelledby="join-heading"]');
      const button = form && form.querySelector('button[type="submit"]');
      const name = form && form.querySelector('input[autocomplete="nickname"]');
      if (button && !button.disabled && name && !name.disabled) marks.interactive = performance.now();
    }
    if (marks.relay < 0 && [...document.querySelectorAll('[role="status"]')].some((element) => (element.textContent || '').includes('Relay connected.'))) {
      marks.relay = performance.now();
    }
  };
  new MutationObserver(check).observe(document, { subtree: true, childList: true, attributes: true, characterData: true });
})();`;

async function loadLobby(browser: Browser, baseUrl: string, encoding: Encoding): Promise<RunResult> {
  const context = await browser.newContext({
    locale: 'en-US',
    baseURL: baseUrl,
    extraHTTPHeaders: encoding === 'gzip' ? { 'accept-encoding': 'gzip' } : {},
  });
  try {
    const page = await context.newPage();
    page.on('pageerror', (error) => console.log(`[pageerror] ${error.message}`));
    await page.addInitScript({ content: WATCH_LOBBY });
    const responses = await recordResponses(page);
    await page.goto('/', { waitUntil: 'commit' });
    const marks = await page.waitForFunction(
      () => {
        const found = (window as unknown as { benchMarks?: { interactive: number; relay: number } }).benchMarks;
        return found && found.interactive >= 0 && found.relay >= 0 ? found : null;
      },
      undefined,
      { timeout: 30_000, polling: 50 },
    );
    const { interactive, relay } = (await marks.jsonValue())!;
    // Whatever the page still fetches by itself (a lazy chunk, an icon) counts as the lobby's.
    await page.waitForLoadState('networkidle');
    const lobbyFiles = responses();
    // The form does what a person expects at that point: the name field takes what is typed.
    // Touching the form fetches the room code ahead of the Join press: counted apart.
    const form = page.getByRole('form', { name: 'Join a room' });
    await form.getByLabel('Your name').fill('Ann');
    await expect(form.getByLabel('Your name')).toHaveValue('Ann');
    await expect(form.getByRole('button', { name: 'Join', exact: true })).toBeEnabled();
    await page.waitForLoadState('networkidle');
    await page.waitForTimeout(500); // networkidle can come before the focus handler's import starts
    await page.waitForLoadState('networkidle');
    const prefetched = responses().filter((file) => !lobbyFiles.some((lobbyFile) => lobbyFile.path === file.path));
    const fcpMs = await page.evaluate(() => performance.getEntriesByName('first-contentful-paint')[0]?.startTime ?? -1);
    return { encoding, files: lobbyFiles, prefetched, interactiveMs: interactive, relayMs: relay, fcpMs };
  } finally {
    await context.close();
  }
}

/** Nearest-rank percentile (p in 0..100) of a non-empty list. */
function percentile(values: number[], p: number): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.max(0, Math.ceil((p / 100) * sorted.length) - 1)];
}

const kb = (bytes: number) => (bytes / 1024).toFixed(1);
const sum = (files: LoadedFile[], field: 'wire' | 'body' | 'decoded') => files.reduce((total, file) => total + file[field], 0);

function printSummary(results: RunResult[]): void {
  console.log('\n| encoding | runs | JS files | JS on the wire (KB) | JS body (KB) | JS decoded (KB) | CSS on the wire (KB) | CSS decoded (KB) | everything on the wire (KB) | interactive, median / p90 (ms) | relay connected, median / p90 (ms) | FCP median (ms) | room code loaded on touching the form: JS files (from the service worker cache) / on the wire (KB) |');
  console.log('|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|');
  for (const encoding of ['gzip', 'browser'] as const) {
    const own = results.filter((result) => result.encoding === encoding);
    if (own.length === 0) continue;
    const js = own.map((result) => result.files.filter((file) => file.kind === 'js'));
    const css = own.map((result) => result.files.filter((file) => file.kind === 'css'));
    const prefetchedJs = own.map((result) => result.prefetched.filter((file) => file.kind === 'js'));
    const encodings = new Set(js.flat().map((file) => file.contentEncoding));
    // Sizes are the same in every run (same build, fresh cache); show the median anyway.
    const med = (values: number[]) => percentile(values, 50);
    console.log(
      `| ${encoding} (${[...encodings].join(', ')}) | ${own.length} | ${med(js.map((files) => files.length))} | ${kb(med(js.map((files) => sum(files, 'wire'))))} | ` +
        `${kb(med(js.map((files) => sum(files, 'body'))))} | ${kb(med(js.map((files) => sum(files, 'decoded'))))} | ${kb(med(css.map((files) => sum(files, 'wire'))))} | ` +
        `${kb(med(css.map((files) => sum(files, 'decoded'))))} | ${kb(med(own.map((result) => sum(result.files, 'wire'))))} | ` +
        `${Math.round(med(own.map((r) => r.interactiveMs)))} / ${Math.round(percentile(own.map((r) => r.interactiveMs), 90))} | ` +
        `${Math.round(med(own.map((r) => r.relayMs)))} / ${Math.round(percentile(own.map((r) => r.relayMs), 90))} | ${Math.round(med(own.map((r) => r.fcpMs)))} | ` +
        `${med(prefetchedJs.map((files) => files.length))} (${med(prefetchedJs.map((files) => files.filter((file) => file.fromServiceWorker).length))}) / ${kb(med(prefetchedJs.map((files) => sum(files, 'wire'))))} |`,
    );
  }
}

/**
 * Code only a room needs (the room client, media mesh, rooms view, breakouts): on the lobby it
 * could wait for a dynamic import at join time. The lobby itself needs the join form, the camera
 * preview (src/lib/media/devices.ts, local-media), the relay status and the validation rules.
 */
const ROOM_ONLY_PACKAGES = ['yjs', 'y-webrtc', 'simple-peer', 'lib0', 'y-protocols', 'y-indexeddb'];
const ROOM_ONLY_SOURCES = [
  /\/src\/lib\/rooms\/(?!validation|errors)/,
  /\/src\/lib\/classroom\//,
  /\/src\/lib\/media\/(?!devices)/,
  /\/src\/lib\/state\/(classroom|room-view)\.svelte\.ts$/,
  /\/src\/lib\/components\/(RoomsView|RoomPanel|VideoTile|ChatPanel|MemberList|InviteLink|ConfirmButton|breakout\/)/,
];

function isRoomOnly(id: string): boolean {
  return ROOM_ONLY_PACKAGES.includes(moduleGroup(id)) || ROOM_ONLY_SOURCES.some((pattern) => pattern.test(id));
}

function gzipSizeInBuild(path: string): number {
  const gz = join(appDir, 'build', `${path}.gz`);
  return existsSync(gz) ? statSync(gz).size : NaN;
}

/** Which modules the lobby's JavaScript holds, per file and per package. */
function printComposition(lobbyJs: string[]): void {
  const sizes = JSON.parse(readFileSync(join(appDir, MODULE_SIZES_FILE), 'utf8')) as ModuleSizes;
  const groupsTotal = new Map<string, { rendered: number; gzEstimate: number }>();
  const deferrable = { rendered: 0, gzEstimate: 0 };
  console.log('\nThe lobby\'s JavaScript files, largest first (gz = the build\'s .gz file; parts = KB of each package/folder as Rollup rendered it, before minification):');
  const files = lobbyJs.map((path) => ({ path, gz: gzipSizeInBuild(path.slice(1)), modules: sizes[path.slice(1)] ?? {} })).sort((a, b) => b.gz - a.gz);
  for (const file of files) {
    const groups = new Map<string, number>();
    for (const [id, rendered] of Object.entries(file.modules)) groups.set(moduleGroup(id), (groups.get(moduleGroup(id)) ?? 0) + rendered);
    const rendered = [...groups.values()].reduce((a, b) => a + b, 0);
    const roomOnly = Object.entries(file.modules).reduce((total, [id, bytes]) => total + (isRoomOnly(id) ? bytes : 0), 0);
    deferrable.rendered += roomOnly;
    deferrable.gzEstimate += rendered > 0 ? (roomOnly / rendered) * file.gz : 0;
    for (const [group, bytes] of groups) {
      const total = groupsTotal.get(group) ?? { rendered: 0, gzEstimate: 0 };
      // A package's share of the gzipped file, pro rata of its rendered bytes (an estimate: minification
      // and compression shrink some code more than other code).
      total.rendered += bytes;
      total.gzEstimate += rendered > 0 ? (bytes / rendered) * file.gz : 0;
      groupsTotal.set(group, total);
    }
    const parts = [...groups].sort((a, b) => b[1] - a[1]).slice(0, 8).map(([group, bytes]) => `${group} ${kb(bytes)}`);
    console.log(`  ${file.path}: ${kb(file.gz)} KB gz; ${parts.join(', ')}`);
  }
  console.log('\n| package / folder | rendered, before minification (KB) | share of the lobby\'s gzipped JS, estimated (KB) |');
  console.log('|---|---:|---:|');
  for (const [group, total] of [...groupsTotal].sort((a, b) => b[1].rendered - a[1].rendered)) {
    if (total.rendered >= 1024) console.log(`| ${group} | ${kb(total.rendered)} | ${kb(total.gzEstimate)} |`);
  }
  console.log(`code only a room needs, on the lobby: ${kb(deferrable.rendered)} KB before minification, about ${kb(deferrable.gzEstimate)} KB gzipped (${ROOM_ONLY_PACKAGES.join(', ')}, the room client, media mesh, rooms view and breakout panels)`);
}

/** What the service worker fetches in the background once the page has loaded: its shell cache. */
function serviceWorkerShellGz(): number {
  let total = 0;
  const walk = (dir: string) => {
    for (const entry of readdirSync(dir, { withFileTypes: true })) {
      const path = join(dir, entry.name);
      if (entry.isDirectory()) walk(path);
      else if (!/\.(gz|br)$/.test(entry.name)) total += existsSync(`${path}.gz`) ? statSync(`${path}.gz`).size : statSync(path).size;
    }
  };
  walk(join(appDir, 'build', '_app'));
  return total;
}

async function main(): Promise<void> {
  console.log(`machine: ${cpus().length} CPUs, load average ${loadavg().map((l) => l.toFixed(2)).join(' ')} at the start, Node ${process.version}`);
  preparePrivateApp(appDir, { rebuild });
  const server = await startAppServer(appDir, Number(args.port));
  const browser = await launchChromium();
  console.log(`Chromium ${browser.version()}, app copied from ${REPO_ROOT}, served from ${appDir} at ${server.url}`);
  const results: RunResult[] = [];
  try {
    for (let run = 1; run <= runs; run++) {
      // Alternate which encoding goes first, so neither always meets a warmer machine.
      const order: Encoding[] = run % 2 === 1 ? ['gzip', 'browser'] : ['browser', 'gzip'];
      for (const encoding of order) {
        const result = await loadLobby(browser, server.url, encoding);
        const js = result.files.filter((file) => file.kind === 'js');
        console.log(
          `run ${run} ${encoding}: ${js.length} JS files, ${kb(sum(js, 'wire'))} KB on the wire (${kb(sum(js, 'decoded'))} KB decoded); ` +
            `interactive ${Math.round(result.interactiveMs)} ms, relay connected ${Math.round(result.relayMs)} ms, FCP ${Math.round(result.fcpMs)} ms`,
        );
        results.push(result);
      }
    }
  } finally {
    await browser.close();
    await server.close();
  }
  printSummary(results);
  const lobbyJs = [...new Set(results.flatMap((result) => result.files.filter((file) => file.kind === 'js').map((file) => file.path)))];
  const notInBuild = lobbyJs.filter((path) => !path.startsWith('/_app/immutable/'));
  if (notInBuild.length > 0) console.log(`JavaScript from outside the build's chunks: ${notInBuild.join(', ')}`);
  printComposition(lobbyJs.filter((path) => path.startsWith('/_app/immutable/')));
  console.log(`\nthe service worker then caches the whole app in the background: ${kb(serviceWorkerShellGz())} KB gzipped (every chunk, the rooms view's included)`);
  console.log(`load average at the end: ${loadavg().map((l) => l.toFixed(2)).join(' ')}`);
}

await main();
