/**
 * `npm run bench:chat-latency`: how long a chat message takes from one member to the others in a
 * room of N members (default 4) on loopback, p50 / p90 / p99 (target p99 ≤ 50 ms).
 *
 * Each member is a page in its own browser context of one Chromium, so messages cross real
 * WebRTC data channels. Once everyone sees everyone, every member sends small messages at a
 * steady rate (--rate per second, from a setInterval in its page) for --duration seconds, after
 * --warmup seconds whose messages are not counted. A message carries its send time; each other
 * member notes its receive time when the library reports it (our client's `message` event, or
 * the Y.Array observer for raw y-webrtc). Latency = receive time − send time.
 *
 * The clock: every page reads performance.timeOrigin + performance.now(). All pages run in one
 * Chromium on one machine, and each page's timeOrigin is the same system clock's reading when
 * the page was created, so these are comparable across pages at sub-millisecond resolution (the
 * script prints how far apart the pages' clocks are, measured against Date.now()).
 *
 * Variants (--variants, in rotating order within every round), all through our relay:
 *  - ours:        createRoomClient, sendMessage with a custom message, as shipped (the room's
 *                 history kept in IndexedDB);
 *  - ours-no-idb: the same with persistHistory: false;
 *  - raw:         a stock y-webrtc WebrtcProvider pushing the same payload into a Y.Array;
 *  - raw-chunked: the same provider with our data channels (peerOpts.wrtc = createChunkingWrtc(),
 *                 tests/e2e/fixtures/big-history.ts), to see what the chunking layer costs.
 * Prints one line per run and a table. Timings are printed, never asserted.
 * Options: --members 4 --rate 10 --duration 20 --warmup 3 --runs 3 --variants ours,ours-no-idb,raw,raw-chunked
 */
import { parseArgs } from 'node:util';
import type { Browser, Page } from '@playwright/test';
import { listenRelay } from '../../signaling/listen.js';
// For their page globals (window.startStockClient, window.stock; window.startHistoryClient, window.chat).
import type {} from '../../tests/e2e/fixtures/stock-ywebrtc.js';
import type {} from '../../tests/e2e/fixtures/big-history.js';
import { describeLoadAtEnd, describeMachine, launchChromium, openMemberPage, sleep, type Fixture } from './browser.js';
import { median, percentile } from './stats.js';

/** What one message carries. */
interface Probe {
  from: string;
  seq: number;
  /** Sent during the warm-up: delivered, but not counted. */
  warmup: boolean;
  /** performance.timeOrigin + performance.now() in the sender's page. */
  sentAt: number;
}

declare global {
  interface Window {
    latencyBench?: {
      /** Counted messages received from others: receive − send, ms. */
      latencies: number[];
      sent: number;
      warmup: boolean;
      timer?: ReturnType<typeof setInterval>;
      roomId: string;
    };
  }
}

const VARIANTS = ['ours', 'ours-no-idb', 'raw', 'raw-chunked'] as const;
type Variant = (typeof VARIANTS)[number];
const FIXTURES: Record<Variant, Fixture> = { ours: 'room-client', 'ours-no-idb': 'room-client', raw: 'stock-ywebrtc', 'raw-chunked': 'big-history' };

const { values: args } = parseArgs({
  options: {
    members: { type: 'string', default: '4' },
    rate: { type: 'string', default: '10' },
    duration: { type: 'string', default: '20' },
    warmup: { type: 'string', default: '3' },
    runs: { type: 'string', default: '3' },
    variants: { type: 'string', default: VARIANTS.join(',') },
    help: { type: 'boolean', default: false },
  },
});
if (args.help) {
  console.log(`npm run bench:chat-latency -- [options]

  --members 4         members in the room
  --rate 10           messages per second each member sends
  --duration 20       seconds of counted sending
  --warmup 3          seconds of sending before that, not counted
  --runs 3            rounds; every round measures every variant once, in rotating order
  --variants ${VARIANTS.join(',')}`);
  process.exit(0);
}
const members = Number(args.members);
const ratePerSecond = Number(args.rate);
const durationMs = Number(args.duration) * 1000;
const warmupMs = Number(args.warmup) * 1000;
const runs = Number(args.runs);
const variants = args.variants.split(',') as Variant[];
for (const v of variants) if (!VARIANTS.includes(v)) throw new Error(`unknown variant "${v}" (known: ${VARIANTS.join(', ')})`);
const DELIVERY_GRACE_MS = 10_000;

interface Run {
  variant: Variant;
  latencies: number[];
  expected: number;
  /** Max − min over the pages of (their clock − Date.now()), ms. */
  clockSpreadMs: number;
}

/** Our client: enter, and count `message` events carrying probes from the others. */
async function joinOurs(page: Page, userId: string, relayUrl: string, roomId: string, persistHistory: boolean): Promise<void> {
  await page.evaluate(([id, url, persist]) => window.startClient(id, id, url, { persistHistory: persist }), [userId, relayUrl, persistHistory] as const);
  await page.evaluate(
    async ([id, me]) => {
      const client = window.client!;
      const bench: NonNullable<Window['latencyBench']> = { latencies: [], sent: 0, warmup: true, roomId: id };
      window.latencyBench = bench;
      client.on('message', (message) => {
        const receivedAt = performance.timeOrigin + performance.now();
        const probe = message.custom?.type === 'latency-probe' ? (message.custom.payload as Probe) : null;
        if (message.roomId === id && probe && probe.from !== me && !probe.warmup) bench.latencies.push(receivedAt - probe.sentAt);
      });
      await client.enterRoom({ roomId: id });
    },
    [roomId, userId] as const,
  );
}

/**
 * Raw y-webrtc: a provider (with our chunking data channels or without) and a Y.Array of probes,
 * observed for the others' inserts.
 */
async function joinRaw(page: Page, userId: string, relayUrl: string, roomId: string, chunking: boolean): Promise<void> {
  await page.evaluate(
    ([id, url, me, withChunking]) => {
      if (withChunking) window.startHistoryClient(id, url, { chunking: true, user: me });
      else window.startStockClient(id, url);
      const { doc, provider } = (window.stock ?? window.chat)!;
      provider.awareness.setLocalStateField('user', { userId: me, userName: me });
      const probes = doc.getArray<Probe>('probes');
      const bench: NonNullable<Window['latencyBench']> = { latencies: [], sent: 0, warmup: true, roomId: id };
      window.latencyBench = bench;
      probes.observe((event) => {
        const receivedAt = performance.timeOrigin + performance.now();
        for (const change of event.delta) {
          for (const probe of (change.insert ?? []) as Probe[]) if (probe.from !== me && !probe.warmup) bench.latencies.push(receivedAt - probe.sentAt);
        }
      });
    },
    [roomId, relayUrl, userId, chunking] as const,
  );
}

function memberCount(page: Page, variant: Variant, roomId: string): Promise<number> {
  return variant.startsWith('raw')
    ? page.evaluate(() => (window.stock ?? window.chat)!.provider.awareness.getStates().size)
    : page.evaluate((id) => window.client!.room(id)?.members.length ?? 0, roomId);
}

/** How far this page's performance clock is from Date.now(), averaged (Date.now() has 1 ms steps). */
function clockOffset(page: Page): Promise<number> {
  return page.evaluate(() => {
    let sum = 0;
    for (let i = 0; i < 200; i++) sum += performance.timeOrigin + performance.now() - Date.now();
    return sum / 200;
  });
}

/**
 * Starts (or with null stops) this page's steady sending. No named functions in page code: tsx
 * compiles this file with esbuild's keepNames, whose `__name` helper does not exist in the page.
 */
function setSending(page: Page, userId: string, intervalMs: number | null): Promise<void> {
  return page.evaluate(
    ([me, ms]) => {
      const bench = window.latencyBench!;
      clearInterval(bench.timer);
      if (ms === null) return;
      bench.timer = setInterval(() => {
        const probe: Probe = { from: me, seq: bench.sent++, warmup: bench.warmup, sentAt: performance.timeOrigin + performance.now() };
        const raw = window.stock ?? window.chat;
        if (raw) raw.doc.getArray<Probe>('probes').push([probe]);
        else void window.client!.sendMessage(bench.roomId, { type: 'latency-probe', payload: probe });
      }, ms);
    },
    [userId, intervalMs] as const,
  );
}

async function measure(browser: Browser, origin: string, relayUrl: string, variant: Variant): Promise<Run> {
  const roomId = `lat-${variant}-${Date.now().toString(36)}`;
  const pages = await Promise.all(Array.from({ length: members }, () => openMemberPage(browser, origin, FIXTURES[variant])));
  try {
    const userIds = pages.map((_, i) => `m${i}`);
    await Promise.all(
      pages.map((page, i) =>
        variant.startsWith('raw')
          ? joinRaw(page, userIds[i], relayUrl, roomId, variant === 'raw-chunked')
          : joinOurs(page, userIds[i], relayUrl, roomId, variant === 'ours'),
      ),
    );
    for (const page of pages) {
      for (const deadline = Date.now() + 30_000; (await memberCount(page, variant, roomId)) < members; ) {
        if (Date.now() > deadline) throw new Error(`${variant}: the room never saw all ${members} members`);
        await sleep(100);
      }
    }
    const offsets = await Promise.all(pages.map(clockOffset));

    await Promise.all(pages.map((page, i) => setSending(page, userIds[i], 1000 / ratePerSecond)));
    await sleep(warmupMs);
    // From now on messages count; `sent` restarts so each page knows how many counted ones it sent.
    await Promise.all(pages.map((page) => page.evaluate(() => Object.assign(window.latencyBench!, { warmup: false, sent: 0 }))));
    await sleep(durationMs);
    await Promise.all(pages.map((page, i) => setSending(page, userIds[i], null)));

    const sent = await Promise.all(pages.map((page) => page.evaluate(() => window.latencyBench!.sent)));
    const totalSent = sent.reduce((a, b) => a + b, 0);
    // Each member receives what everyone else sent.
    const expected = sent.map((own) => totalSent - own);
    const deadline = Date.now() + DELIVERY_GRACE_MS;
    let received: number[] = [];
    do {
      received = await Promise.all(pages.map((page) => page.evaluate(() => window.latencyBench!.latencies.length)));
      if (received.every((n, i) => n >= expected[i])) break;
      await sleep(200);
    } while (Date.now() < deadline);
    const latencies = (await Promise.all(pages.map((page) => page.evaluate(() => window.latencyBench!.latencies)))).flat();
    return { variant, latencies, expected: expected.reduce((a, b) => a + b, 0), clockSpreadMs: Math.max(...offsets) - Math.min(...offsets) };
  } finally {
    await Promise.all(pages.map((page) => page.context().close()));
  }
}

const ms = (value: number) => (Number.isNaN(value) ? '—' : value.toFixed(1));

function describe(latencies: number[]): string {
  return `p50 ${ms(percentile(latencies, 50))} ms, p90 ${ms(percentile(latencies, 90))} ms, p99 ${ms(percentile(latencies, 99))} ms, max ${ms(Math.max(...latencies))} ms`;
}

async function main(): Promise<void> {
  const relay = await listenRelay();
  const browser = await launchChromium();
  const origin = `http://127.0.0.1:${relay.port}`;
  console.log(describeMachine(browser));
  console.log(
    `chat latency: ${members} members, ${ratePerSecond} messages/s each for ${durationMs / 1000} s (after ${warmupMs / 1000} s warm-up), ` +
      `${runs} round(s) of ${variants.join(', ')}`,
  );
  const all: Run[] = [];
  try {
    for (let run = 0; run < runs; run++) {
      for (const variant of variants.map((_, i) => variants[(i + run) % variants.length])) {
        const r = await measure(browser, origin, relay.url, variant);
        all.push(r);
        console.log(
          `  round ${run + 1} ${variant.padEnd(11)} ${r.latencies.length} of ${r.expected} counted deliveries: ${describe(r.latencies)}; ` +
            `pages' clocks within ${r.clockSpreadMs.toFixed(2)} ms`,
        );
      }
    }
  } finally {
    await browser.close();
    await relay.close();
    console.log(describeLoadAtEnd());
  }
  console.log('\n| variant | deliveries (received / expected) | p50 (ms) | p90 (ms) | p99 (ms) | max (ms) | p99 per round (ms), median (range) |');
  console.log('|---|---:|---:|---:|---:|---:|---:|');
  for (const variant of variants) {
    const mine = all.filter((r) => r.variant === variant);
    const pooled = mine.flatMap((r) => r.latencies);
    const p99s = mine.map((r) => percentile(r.latencies, 99));
    const expected = mine.reduce((sum, r) => sum + r.expected, 0);
    console.log(
      `| ${variant} | ${pooled.length} / ${expected} | ${ms(percentile(pooled, 50))} | ${ms(percentile(pooled, 90))} | **${ms(percentile(pooled, 99))}** | ` +
        `${ms(Math.max(...pooled))} | ${ms(median(p99s))} (${ms(Math.min(...p99s))}–${ms(Math.max(...p99s))}) |`,
    );
  }
}

await main();
