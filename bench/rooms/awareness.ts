/**
 * `npm run bench:awareness`: how long until every member of an N-member room (default 8) sees
 * every other, for our room client against raw y-webrtc, in the same run, side by side.
 *
 * Each member is a page in its own browser context of one Chromium. All N are told to start at
 * once (one page.evaluate each, sent together); each page notes, on its own clock, when it
 * started and when it first saw all N members (itself included). The pages share the machine's
 * clock, so "all see each other" = the last member's full view − the first member's start.
 *
 * Variants (--variants, run in rotating order within every round so drift hits all alike):
 *  - ours:       createRoomClient(...).enterRoom(), our relay (signaling/listen.ts, default
 *                options); members = client.room(id).members. This includes what enterRoom does
 *                besides y-webrtc: the presence request on its own socket (y-webrtc's
 *                subscription waits for its answer), loading the room's IndexedDB history.
 *  - ours-no-idb: the same with persistHistory: false (no IndexedDB), to see what that costs.
 *  - raw:        a stock y-webrtc WebrtcProvider (tests/e2e/fixtures/stock-ywebrtc.ts), the
 *                same relay; members = awareness states.
 *  - raw-stock:  the same provider against y-webrtc's own server (node_modules/y-webrtc/bin/server.js).
 *  - ours-stock: our client against y-webrtc's server (no presence extension there).
 *
 * Prints one line per measurement and a table of medians. Timings are printed, never asserted.
 * Options: --members 8 --runs 5 --warmup-rounds 1 --timeout 30 --variants ours,raw,raw-stock
 * --settle 3; --trace prints each round's steps (ours: from the client's trace; raw: socket
 * open, first data connection open) and --trace-out FILE writes ours' raw traces (the last round).
 */
import { parseArgs } from 'node:util';
import { writeFileSync } from 'node:fs';
import type { Browser, Page } from '@playwright/test';
import { listenRelay } from '../../signaling/listen.js';
import type { TraceEntry } from '../media/pages.js';
import { startStockRelay, type StockRelay } from '../../tests/support/stock-relay.js';
// For its page globals (window.startStockClient, window.stock).
import type {} from '../../tests/e2e/fixtures/stock-ywebrtc.js';
import { describeLoadAtEnd, describeMachine, launchChromium, openMemberPage, sleep } from './browser.js';
import { median, medianAndRange } from './stats.js';

declare global {
  interface Window {
    /** What one page measured: its start and when it first saw every member, on its clock. */
    awarenessBench?: { startedAt: number; fullAt?: number; connectedAt?: number; socketOpenAt?: number; firstPeerAt?: number; error?: string };
  }
}

const VARIANTS = {
  ours: { client: 'ours', relay: 'ours', persist: true },
  'ours-no-idb': { client: 'ours', relay: 'ours', persist: false },
  raw: { client: 'raw', relay: 'ours', persist: false },
  'raw-stock': { client: 'raw', relay: 'stock', persist: false },
  'ours-stock': { client: 'ours', relay: 'stock', persist: true },
} as const;
type VariantName = keyof typeof VARIANTS;

const { values: args } = parseArgs({
  options: {
    members: { type: 'string', default: '8' },
    runs: { type: 'string', default: '5' },
    'warmup-rounds': { type: 'string', default: '1' },
    timeout: { type: 'string', default: '30' },
    variants: { type: 'string', default: 'ours,raw,raw-stock' },
    trace: { type: 'boolean', default: false },
    'trace-out': { type: 'string' },
    settle: { type: 'string', default: '3' },
    help: { type: 'boolean', default: false },
  },
});
if (args.help) {
  console.log(`npm run bench:awareness -- [options]

  --members 8                  members in the room
  --runs 5                     rounds; every round measures every variant once
  --warmup-rounds 1            rounds before those, printed but not counted (a fresh
                               Chromium's first contexts are slower)
  --timeout 30                 seconds to wait for one room to be complete
  --variants ours,raw,raw-stock (also: ours-no-idb, ours-stock)
  --settle 3                   seconds to wait after each measurement (closing 8 members with
                               their peer connections keeps Chromium busy for a while; the
                               next measurement should not pay for it)
  --trace                      our client: per round, the median time of each step of
                               entering (RoomClientOptions.trace)`);
  process.exit(0);
}
const members = Number(args.members);
const runs = Number(args.runs);
const warmupRounds = Number(args['warmup-rounds']);
const timeoutMs = Number(args.timeout) * 1000;
const variants = args.variants.split(',') as VariantName[];
const settleMs = Number(args.settle) * 1000;
for (const name of variants) if (!(name in VARIANTS)) throw new Error(`unknown variant "${name}" (known: ${Object.keys(VARIANTS).join(', ')})`);

interface Measurement {
  variant: VariantName;
  /** Last member's full view − first member's start; null if some member never got there. */
  allSeeAllMs: number | null;
  /** Each member's own start → full view. */
  perMemberMs: number[];
  /** Our client only: each member's start → connected(entered). */
  connectedMs: number[];
  /** How far apart the N starts were (they are sent together, but one at a time). */
  startSpreadMs: number;
  /** With --trace: each step of entering, median over the members (ms). */
  steps?: string;
  failures: string[];
}

/** Starts our client's enterRoom in the page and watches its member list. */
function startOurs(page: Page, roomId: string, count: number): Promise<void> {
  return page.evaluate(
    ([id, n]) => {
      const client = window.client!;
      const bench: NonNullable<Window['awarenessBench']> = { startedAt: Date.now() };
      window.awarenessBench = bench;
      client.on('memberJoined', ({ roomId: joinedRoom }) => {
        if (joinedRoom === id && bench.fullAt === undefined && (client.room(id)?.members.length ?? 0) >= n) bench.fullAt = Date.now();
      });
      // connected(entered): the relay carries y-webrtc's signaling for the room; what enterRoom
      // does before that (presence check, IndexedDB history) delays everything after it.
      client.on('stateChanged', ({ roomId: changedRoom, state }) => {
        if (changedRoom === id && state === 'connected' && bench.connectedAt === undefined) bench.connectedAt = Date.now();
      });
      client.enterRoom({ roomId: id }).catch((err: unknown) => (bench.error = String(err)));
    },
    [roomId, count] as const,
  );
}

/** Starts a stock WebrtcProvider in the page and watches its awareness. */
function startRaw(page: Page, roomId: string, relayUrl: string, count: number, userId: string): Promise<void> {
  return page.evaluate(
    ([id, url, n, user]) => {
      const bench: NonNullable<Window['awarenessBench']> = { startedAt: Date.now() };
      window.awarenessBench = bench;
      window.startStockClient(id, url);
      const awareness = window.stock!.provider.awareness;
      // A member state like ours carries, so both sides send comparable awareness updates.
      awareness.setLocalStateField('user', { userId: user, userName: user });
      awareness.on('change', () => {
        if (bench.fullAt === undefined && awareness.getStates().size >= n) bench.fullAt = Date.now();
      });
      // For --trace: the relay socket open, and the first data connection up.
      const provider = window.stock!.provider;
      const socket = provider.signalingConns[0];
      if (socket.connected) bench.socketOpenAt = Date.now();
      else socket.once('connect', () => (bench.socketOpenAt ??= Date.now()));
      // 'peers' tells of a connection created; its simple-peer says when it is open.
      type Conns = Map<string, { peer: { connected: boolean; once(event: 'connect', listener: () => void): void } }>;
      provider.on('peers', () => {
        for (const conn of (provider.room as unknown as { webrtcConns: Conns }).webrtcConns.values()) {
          if (conn.peer.connected) bench.firstPeerAt ??= Date.now();
          else conn.peer.once('connect', () => (bench.firstPeerAt ??= Date.now()));
        }
      });
    },
    [roomId, relayUrl, count, userId] as const,
  );
}

/**
 * The steps of entering our client traces (client.ts), each as "step median" over the members,
 * then entered → full view: where the time to "all see all" goes.
 */
function enteringSteps(traces: TraceEntry[][], results: NonNullable<Window['awarenessBench']>[]): string {
  const marks = ['enter', 'relay-entered', 'signaling-ready', 'entered'];
  const parts: string[] = [];
  for (let i = 1; i < marks.length; i++) {
    const gaps = traces.flatMap((entries) => {
      const from = entries.find((e) => e.event === marks[i - 1]);
      const to = entries.find((e) => e.event === marks[i]);
      return from && to ? [to.at - from.at] : [];
    });
    parts.push(`${marks[i - 1]}→${marks[i]} ${Math.round(median(gaps))}`);
  }
  const firstData = traces.flatMap((entries, i) => {
    const entered = entries.find((e) => e.event === 'entered');
    const connected = entries.find((e) => e.event === 'data-connected');
    const full = results[i].fullAt;
    return entered && connected && full ? [{ connected: connected.at - entered.at, full: full - entered.at }] : [];
  });
  parts.push(`entered→first data connection ${Math.round(median(firstData.map((d) => d.connected)))}`);
  parts.push(`entered→full view ${Math.round(median(firstData.map((d) => d.full)))}`);
  return parts.join(', ');
}

/** The same for a stock provider: its socket open, then its first data connection, then full view. */
function stockSteps(results: NonNullable<Window['awarenessBench']>[]): string {
  type Result = NonNullable<Window['awarenessBench']>;
  const gap = (from: (r: Result) => number | undefined, to: (r: Result) => number | undefined) => {
    const gaps = results.flatMap((r) => {
      const [a, b] = [from(r), to(r)];
      return a !== undefined && b !== undefined ? [b - a] : [];
    });
    return Math.round(median(gaps));
  };
  const open = (r: Result) => r.socketOpenAt;
  return (
    `start→socket open ${gap((r) => r.startedAt, open)}, socket open→first data connection ${gap(open, (r) => r.firstPeerAt)}, ` +
    `socket open→full view ${gap(open, (r) => r.fullAt)}`
  );
}

async function measure(browser: Browser, origin: string, relayUrls: Record<'ours' | 'stock', string>, variant: VariantName): Promise<Measurement> {
  const { client, relay, persist } = VARIANTS[variant];
  const roomId = `aw-${variant}-${Date.now().toString(36)}`;
  const pages = await Promise.all(Array.from({ length: members }, () => openMemberPage(browser, origin, client === 'ours' ? 'room-client' : 'stock-ywebrtc')));
  try {
    const userIds = pages.map((_, i) => `m${i}`);
    if (client === 'ours') {
      await Promise.all(
        pages.map((page, i) =>
          page.evaluate(([id, url, persist, trace]) => window.startClient(id, id, url, { persistHistory: persist, recordTrace: trace }), [userIds[i], relayUrls[relay], persist, args.trace] as const),
        ),
      );
    }
    // Everything above is setup (8 fresh pages compiling their scripts): let it finish first.
    await sleep(Math.min(settleMs, 1000));
    // From here on the pages time themselves.
    await Promise.all(pages.map((page, i) => (client === 'ours' ? startOurs(page, roomId, members) : startRaw(page, roomId, relayUrls[relay], members, userIds[i]))));
    const failures: string[] = [];
    await Promise.all(
      pages.map((page, i) =>
        page
          .waitForFunction(() => window.awarenessBench?.fullAt !== undefined || window.awarenessBench?.error !== undefined, undefined, { timeout: timeoutMs, polling: 100 })
          .catch(() => failures.push(`${userIds[i]}: not complete after ${timeoutMs / 1000} s`)),
      ),
    );
    const results = await Promise.all(pages.map((page) => page.evaluate(() => window.awarenessBench!)));
    const traces = args.trace && client === 'ours' ? await Promise.all(pages.map((page) => page.evaluate(() => window.trace ?? []))) : [];
    if (traces.length && args['trace-out']) writeFileSync(args['trace-out'], JSON.stringify(traces.map((entries, i) => ({ startedAt: results[i].startedAt, fullAt: results[i].fullAt, entries })), null, 1));
    const rawSteps = args.trace && client === 'raw' ? stockSteps(results) : undefined;
    for (const [i, r] of results.entries()) if (r.error) failures.push(`${userIds[i]}: ${r.error}`);
    const starts = results.map((r) => r.startedAt);
    const fulls = results.flatMap((r) => (r.fullAt === undefined ? [] : [r.fullAt]));
    const complete = fulls.length === members && failures.length === 0;
    return {
      variant,
      allSeeAllMs: complete ? Math.max(...fulls) - Math.min(...starts) : null,
      perMemberMs: results.flatMap((r) => (r.fullAt === undefined ? [] : [r.fullAt - r.startedAt])),
      connectedMs: results.flatMap((r) => (r.connectedAt === undefined ? [] : [r.connectedAt - r.startedAt])),
      startSpreadMs: Math.max(...starts) - Math.min(...starts),
      steps: traces.length ? enteringSteps(traces, results) : rawSteps,
      failures,
    };
  } finally {
    await Promise.all(pages.map((page) => page.context().close()));
  }
}

async function main(): Promise<void> {
  const relay = await listenRelay();
  const needsStock = variants.some((name) => VARIANTS[name].relay === 'stock');
  const stock: StockRelay | undefined = needsStock ? await startStockRelay() : undefined;
  const browser = await launchChromium();
  const relayUrls = { ours: relay.url, stock: stock?.url ?? '' };
  const origin = `http://127.0.0.1:${relay.port}`;
  console.log(describeMachine(browser));
  console.log(`awareness: ${members} members, ${runs} round(s) of ${variants.join(', ')}`);
  const all: Measurement[] = [];
  try {
    for (let run = -warmupRounds; run < runs; run++) {
      const order = variants.map((_, i) => variants[(i + Math.max(run, 0)) % variants.length]);
      for (const variant of order) {
        const m = await measure(browser, origin, relayUrls, variant);
        await sleep(settleMs);
        if (run >= 0) all.push(m);
        console.log(
          `  ${run < 0 ? 'warm-up' : `round ${run + 1}`} ${variant.padEnd(11)} all see all: ${m.allSeeAllMs === null ? 'INCOMPLETE' : `${m.allSeeAllMs} ms`}, ` +
            `per member median ${Math.round(median(m.perMemberMs))} ms, starts spread over ${m.startSpreadMs} ms` +
            (m.connectedMs.length ? `, connected(entered) after ${Math.round(median(m.connectedMs))} ms (median)` : '') +
            (m.steps ? `\n    steps (ms, median): ${m.steps}` : '') +
            (m.failures.length ? `\n    ${m.failures.join('\n    ')}` : ''),
        );
      }
    }
  } finally {
    await browser.close();
    await relay.close();
    console.log(describeLoadAtEnd());
    stock?.stop();
  }
  console.log(
    `\n| variant | all ${members} see all ${members} (ms), median (range) | one member: start → full view (ms), median (range) | ` +
      `one member: start → connected(entered) (ms), median (range) | incomplete rooms |`,
  );
  console.log('|---|---:|---:|---:|---:|');
  for (const variant of variants) {
    const mine = all.filter((m) => m.variant === variant);
    const complete = mine.flatMap((m) => (m.allSeeAllMs === null ? [] : [m.allSeeAllMs]));
    const connected = mine.flatMap((m) => m.connectedMs);
    console.log(
      `| ${variant} | ${medianAndRange(complete)} | ${medianAndRange(mine.flatMap((m) => m.perMemberMs))} | ` +
        `${connected.length ? medianAndRange(connected) : 'n/a'} | ${mine.length - complete.length} of ${mine.length} |`,
    );
  }
}

await main();
