/**
 * `npm run bench:big-history`: how long a late joiner takes to receive a room's chat history
 * over a real WebRTC data channel, and how big a history still gets through [R-52].
 *
 * For each history size: a relay on port 0 (signaling/listen.ts), one Chromium, two browser
 * contexts (so the data crosses WebRTC, not BroadcastChannel). Alice writes N chat messages
 * (100-200 characters of text plus id, author and time) into a Y.Array, then connects a stock
 * y-webrtc WebrtcProvider; Bob connects to the same room with an empty document and we wait
 * until he has all N. Both use createChunkingWrtc() unless --stock. Alice writes 1000 messages
 * per transaction (--batch; the e2e test writes one per transaction): Yjs merges them into the
 * same state either way, only writing it is faster.
 *
 * Prints one line per run and a table of medians. Timings are printed, never asserted.
 * Options: --sizes 1000,10000,50000 --runs 3 --timeout 120 --batch 1000 --stock
 *          --max-message-mib 64 (createChunkingWrtc's bound on one message; the send-queue
 *          bound is raised to fit one such message), --high-water-kib 256 --low-water-kib 64
 */
import { cpus, loadavg } from 'node:os';
import { parseArgs } from 'node:util';
import { chromium, type Browser, type Page } from '@playwright/test';
import { listenRelay, type ListeningRelay } from '../../signaling/listen.js';
import { bundleFixture } from '../../tests/e2e/support/bundle.js';
import type { HistoryClientOptions } from '../../tests/e2e/fixtures/big-history.js';

const { values: args } = parseArgs({
  options: {
    sizes: { type: 'string', default: '1000,10000,50000,100000,200000,300000,345000' },
    runs: { type: 'string', default: '3' },
    timeout: { type: 'string', default: '120' },
    stock: { type: 'boolean', default: false },
    batch: { type: 'string', default: '1000' },
    'max-message-mib': { type: 'string' },
    'high-water-kib': { type: 'string' },
    'low-water-kib': { type: 'string' },
    help: { type: 'boolean', default: false },
  },
});
if (args.help) {
  console.log(`npm run bench:big-history -- [options]

  --sizes 1000,10000,…    history sizes to try, in messages (default ${args.sizes})
  --runs 3                runs per size (median and range are printed)
  --timeout 120           seconds to wait for one late join
  --batch 1000            messages per transaction while Alice writes her history
  --stock                 no wrapper: stock simple-peer channels (upstream behaviour)
  --max-message-mib N     raise createChunkingWrtc's bound on one message (and the send queue's)
  --high-water-kib N      high-water mark of the real channel's buffer (default 256)
  --low-water-kib N       low-water mark (default 64)`);
  process.exit(0);
}
const sizes = args.sizes.split(',').map(Number);
const runs = Number(args.runs);
const timeoutMs = Number(args.timeout) * 1000;
const chunking = !args.stock;
const batch = Number(args.batch);
const maxMessageSize = args['max-message-mib'] ? Number(args['max-message-mib']) * 1024 * 1024 : undefined;
const kib = (value: string | undefined): number | undefined => (value === undefined ? undefined : Number(value) * 1024);
const chunkingOptions = {
  maxMessageSize,
  // Room in the send queue for one message of the raised size.
  maxQueuedBytes: maxMessageSize ? Math.max(256 * 1024 * 1024, maxMessageSize + 16 * 1024 * 1024) : undefined,
  highWaterMark: kib(args['high-water-kib']),
  lowWaterMark: kib(args['low-water-kib']),
};

interface Run {
  messages: number;
  stateBytes: number;
  fillMs: number;
  connectedMs: number | null;
  syncedMs: number | null;
  received: number;
  bobHeapMb: number | null;
  /** Data-channel bytes each side sent, once traffic settled (RTCDataChannelStats). */
  aliceSentBytes: number;
  bobSentBytes: number;
  /** Why the history did not arrive, when Alice's page said so (the chunking layer's warning). */
  failure: string | null;
}

/** Bytes this page has sent on its data channels so far (simple-peer's public getStats). */
function dataChannelBytesSent(page: Page): Promise<number> {
  return page.evaluate(
    () =>
      new Promise<number>((resolve) => {
        const conns = [...(window.chat?.provider.room?.webrtcConns.values() ?? [])];
        let total = 0;
        let pending = conns.length;
        if (pending === 0) resolve(0);
        for (const conn of conns) {
          (conn.peer as { getStats(cb: (err: unknown, reports: { type: string; bytesSent?: number }[]) => void): void }).getStats((_err, reports) => {
            for (const report of reports ?? []) if (report.type === 'data-channel') total += report.bytesSent ?? 0;
            if (--pending === 0) resolve(total);
          });
        }
      }),
  );
}

/**
 * Waits until neither side's sent-byte count has moved for 3 s (Bob echoes the state back, see
 * BENCHMARKS.md; a page busy applying a big update can pause its sending for a second or more).
 */
async function settledBytes(alice: Page, bob: Page): Promise<[number, number]> {
  let last: [number, number] = [-1, -1];
  let stable = 0;
  for (let i = 0; i < 120 && stable < 3; i++) {
    await new Promise((resolve) => setTimeout(resolve, 1000));
    const now: [number, number] = [await dataChannelBytesSent(alice), await dataChannelBytesSent(bob)];
    stable = now[0] === last[0] && now[1] === last[1] ? stable + 1 : 0;
    last = now;
  }
  return last;
}

async function openClient(
  browser: Browser,
  relay: ListeningRelay,
  room: string,
  options: HistoryClientOptions,
  onConsole?: (text: string) => void,
): Promise<{ page: Page; stateBytes: number; fillMs: number }> {
  const context = await browser.newContext();
  const page = await context.newPage();
  if (onConsole) page.on('console', (message) => onConsole(message.text()));
  // Any page of the relay's origin will do (a 404 text page): the fixture brings everything.
  await page.goto(`http://127.0.0.1:${relay.port}/healthz`);
  await page.addScriptTag({ content: await bundleFixture('big-history') });
  const started = Date.now();
  const { stateBytes } = await page.evaluate(([r, url, o]) => window.startHistoryClient(r, url, o), [room, relay.url, options] as const);
  return { page, stateBytes, fillMs: Date.now() - started };
}

async function measure(browser: Browser, relay: ListeningRelay, messages: number): Promise<Run> {
  const room = `bench-${messages}-${Date.now()}`;
  let failure: string | null = null;
  const alice = await openClient(browser, relay, room, { chunking, history: messages, batch, chunkingOptions, user: 'alice' }, (text) => {
    if (text.includes('[chunked-channel')) failure ??= text;
  });
  const bobStarted = Date.now();
  const bob = await openClient(browser, relay, room, { chunking, expected: messages, chunkingOptions, user: 'bob' });
  const deadline = Date.now() + timeoutMs;
  let state = { connectedMs: null as number | null, syncedMs: null as number | null, received: 0 };
  while (Date.now() < deadline) {
    state = await bob.page.evaluate(() => ({
      connectedMs: window.chat!.connectedAfterMs,
      syncedMs: window.chat!.syncedAfterMs,
      received: window.chat!.messages.length,
    }));
    if (state.syncedMs !== null || failure !== null) break;
    // Stock: connected for 15 s and still nothing means the history is not coming (y-webrtc #20).
    if (!chunking && state.connectedMs !== null && Date.now() - bobStarted > state.connectedMs + 15_000) break;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  const bobHeapMb = await bob.page.evaluate(() => {
    const memory = (performance as Performance & { memory?: { usedJSHeapSize: number } }).memory;
    return memory ? memory.usedJSHeapSize / 1024 / 1024 : null;
  });
  const [aliceSentBytes, bobSentBytes] = state.syncedMs === null ? [0, 0] : await settledBytes(alice.page, bob.page);
  for (const { page } of [alice, bob]) await page.context().close();
  return { messages, stateBytes: alice.stateBytes, fillMs: alice.fillMs, ...state, bobHeapMb, aliceSentBytes, bobSentBytes, failure };
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor((sorted.length - 1) / 2)];
}

const mib = (bytes: number): string => (bytes / 1024 / 1024).toFixed(2);
const fmt = (ms: number | null): string => (ms === null ? '—' : `${Math.round(ms)}`);

async function main(): Promise<void> {
  const relay = await listenRelay({ rateLimitPerSecond: 0 });
  const browser = await chromium.launch({
    executablePath: process.env.CHROMIUM_PATH || '/usr/bin/chromium',
    args: ['--no-sandbox', '--allow-loopback-in-peer-connection', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
  });
  console.log(`machine: ${cpus().length} CPUs, load average ${loadavg().map((l) => l.toFixed(2)).join(' ')}, Node ${process.version}, ${browser.version()}`);
  const given = Object.entries(chunkingOptions).filter(([, value]) => value !== undefined);
  const described = given.length ? `{ ${given.map(([key, value]) => `${key}: ${value}`).join(', ')} }` : '';
  console.log(`big-history: ${chunking ? `createChunkingWrtc(${described})` : 'stock simple-peer wrtc'}, sizes ${sizes.join(', ')}, ${runs} run(s) each, timeout ${timeoutMs / 1000} s`);
  const table: string[] = [];
  try {
    for (const messages of sizes) {
      const results: Run[] = [];
      for (let run = 1; run <= runs; run++) {
        const result = await measure(browser, relay, messages);
        results.push(result);
        console.log(
          `  ${messages} messages, state ${(result.stateBytes / 1024 / 1024).toFixed(2)} MiB, run ${run}: ` +
            `fill ${result.fillMs} ms, connected ${fmt(result.connectedMs)} ms, all received ${fmt(result.syncedMs)} ms ` +
            `(${result.received} received), Bob's JS heap ${result.bobHeapMb?.toFixed(0) ?? '?'} MB, ` +
            `data channel bytes sent: Alice ${mib(result.aliceSentBytes)} MiB, Bob ${mib(result.bobSentBytes)} MiB` +
            (result.failure ? `\n    Alice's page: ${result.failure}` : ''),
        );
        if (result.syncedMs === null) break;
      }
      const synced = results.filter((r) => r.syncedMs !== null);
      const ok = synced.length === results.length;
      const syncedMs = synced.map((r) => r.syncedMs!);
      // Transfer rate: the state over the time from the channel opening to the last message applied.
      const rate = median(synced.map((r) => r.stateBytes / 1024 / 1024 / ((r.syncedMs! - (r.connectedMs ?? 0)) / 1000)));
      table.push(
        `| ${messages.toLocaleString('en')} | ${mib(results[0].stateBytes)} | ` +
          (ok
            ? `${fmt(median(synced.map((r) => r.connectedMs ?? 0)))} | **${fmt(median(syncedMs))}** | ` +
              `${fmt(Math.min(...syncedMs))}–${fmt(Math.max(...syncedMs))} | ${rate.toFixed(1)} | ` +
              `${mib(median(synced.map((r) => r.bobSentBytes)))} | ${median(synced.map((r) => r.bobHeapMb ?? 0)).toFixed(0)} |`
            : `— | not received (${results.at(-1)!.received} of ${messages}) | | | | |`),
      );
      if (!ok) break;
    }
  } finally {
    await browser.close();
    await relay.close();
  }
  console.log(
    '\n| messages | state (MiB) | channel open (ms) | all received (ms) | range (ms) | MiB/s | Bob sent back (MiB) | Bob JS heap (MB) |',
  );
  console.log('|---:|---:|---:|---:|---:|---:|---:|---:|');
  for (const row of table) console.log(row);
}

await main();
