/**
 * `npm run bench:media`: how fast a room's videos start and how the mesh holds up as it grows
 * (issue 4). N members, each in its own browser context of one Chromium (fake 640×480 camera
 * and microphone), open their camera first (a lobby preview), then all call enterRoom at once,
 * publish, and play every stream that appears.
 *
 *  - start: from enterRoom to every remote video of every member showing a picture
 *    (videoWidth > 0); the slowest member counts. Then "sound too": until, besides, every
 *    member's every remote microphone has delivered audio packets (inbound-rtp packetsReceived,
 *    polled only once the pictures are in, so the polling does not slow the start it measures).
 *  - relay frames: what the relay received and wrote (its /metrics) from enterRoom to that
 *    moment — every signal a member publishes is written to each member on the topic.
 *  - then, over a window (default 10 s): CPU of the whole Chromium (all its processes, from
 *    /proc, in % of one core), decoded frames per second of every remote video (framesDecoded
 *    in inbound-rtp), and what each member uploads (bytesSent in outbound-rtp).
 *
 * Modes: `budget` is the client as shipped (upload budget 2.5 Mbps: each copy's resolution and
 * frame rate follow the number of receivers); `fixed` gives every copy the whole budget, i.e. a
 * plain 640×480 30 fps mesh. Timings are printed, never asserted.
 * Options: --peers 2,4,6 --modes budget,fixed --runs 1 --window 10; --trace prints, after each
 * run, where the start time went per pair of members (trace-report.ts), and --trace-out FILE
 * also writes every member's raw trace there (JSON, the last run's).
 */
import { cpus, loadavg } from 'node:os';
import { readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { createHash } from 'node:crypto';
import { parseArgs } from 'node:util';
import type { Browser, Page } from '@playwright/test';
import { listenRelay, type ListeningRelay } from '../../signaling/listen.js';
import { launchChromium, openMember } from './pages.js';
import { traceReport } from './trace-report.js';

const { values: args } = parseArgs({
  options: {
    peers: { type: 'string', default: '2,4,6' },
    modes: { type: 'string', default: 'budget,fixed' },
    runs: { type: 'string', default: '1' },
    window: { type: 'string', default: '10' },
    trace: { type: 'boolean', default: false },
    'trace-out': { type: 'string' },
  },
});
const peerCounts = args.peers.split(',').map(Number);
const modes = args.modes.split(',') as ('budget' | 'fixed')[];
const runs = Number(args.runs);
const windowMs = Number(args.window) * 1000;
/** "fixed": a budget so large that every copy gets the top rung (the source's own 640×480 at 30 fps). */
const UNLIMITED_BPS = 1e9;

interface Result {
  peers: number;
  mode: string;
  startMs: number;
  soundMs: number;
  /** Frames the relay received and wrote from enterRoom until every picture and sound arrived. */
  relayIn: number;
  relayOut: number;
  cpuPercent: number;
  fpsMin: number;
  fpsMedian: number;
  uploadMbpsMax: number;
  /** speedProbe() just before the run. */
  probeMs: number;
}

/**
 * How fast this machine is right now: ms for a fixed piece of work (SHA-256 of 64 MiB) on one
 * core, with nothing of ours running. The VMs these runs share a host with others, and the
 * same build's start time swings twofold with the host's load; the probe lets runs be compared
 * with the machine's state they ran in.
 */
function speedProbe(): number {
  const block = Buffer.alloc(1 << 20, 7);
  const started = performance.now();
  const hash = createHash('sha256');
  for (let i = 0; i < 64; i++) hash.update(block);
  hash.digest();
  return performance.now() - started;
}

/** CPU seconds (user + system) of every process under this one: the Chromium we launched. */
function chromiumCpuSeconds(): number {
  const parents = new Map<number, number>();
  const ticks = new Map<number, number>();
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const stat = readFileSync(`/proc/${entry}/stat`, 'utf8');
      const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      parents.set(Number(entry), Number(fields[1]));
      ticks.set(Number(entry), Number(fields[11]) + Number(fields[12]));
    } catch {
      // gone meanwhile
    }
  }
  let total = 0;
  for (const pid of ticks.keys()) {
    for (let p = parents.get(pid); p !== undefined && p > 1; p = parents.get(p)) {
      if (p === process.pid) {
        total += ticks.get(pid)!;
        break;
      }
    }
  }
  return total / 100; // USER_HZ
}

/**
 * Enters, publishes, plays whatever appears; resolves with ms until `expected` remote pictures
 * show, and when each video (by stream id) first had one. Pictures are noticed by their
 * `loadedmetadata` / `resize` events, not by polling every video's size fifty times a second:
 * the measurement should not add work the app does not do to starved pages (alternating runs
 * showed no difference in the start time either way, BENCHMARKS.md "Media").
 */
function enterAndWatch(page: Page, room: string, expected: number): Promise<{ ms: number; soundMs: number; firstFrames: Record<string, number> }> {
  return page.evaluate(
    async ([roomId, count]) => {
      const client = window.client!;
      const started = performance.now();
      const pictures = (window as unknown as { watchPictures(count: number): { firstFrames: Record<string, number>; all: Promise<void> } }).watchPictures(count);
      client.on('streamAdded', ({ roomId: r, streamId }) => void window.media.play(r, streamId));
      await client.enterRoom({ roomId });
      await client.publish(roomId, window.media.streams['cam'], { streamId: `cam-${client.user.userId}` });
      for (const stream of client.room(roomId)!.streams) void window.media.play(roomId, stream.streamId);
      await pictures.all;
      const picturesMs = performance.now() - started;
      await (window as unknown as { awaitSound(roomId: string, count: number): Promise<void> }).awaitSound(roomId, count);
      return { ms: picturesMs, soundMs: performance.now() - started, firstFrames: pictures.firstFrames };
    },
    [room, expected] as const,
  );
}

/**
 * `watchPictures(count)` for a page: when each <video> added from now on first has a picture
 * (by stream id), and a promise for when `count` have. Plain script, like TRACE_SINK: tsx would
 * wrap functions written inside evaluate() in a helper the page does not have.
 */
const WATCH_PICTURES = `window.watchPictures = function (count) {
  const firstFrames = {};
  let done;
  const all = new Promise(function (resolve) { done = resolve; });
  function notice(video) {
    function check() {
      if (video.videoWidth === 0) return;
      const streamId = video.id.slice(video.id.lastIndexOf(':') + 1);
      if (!(streamId in firstFrames)) firstFrames[streamId] = Date.now();
      if (Object.keys(firstFrames).length >= count) done();
    }
    video.addEventListener('loadedmetadata', check);
    video.addEventListener('resize', check);
    check();
  }
  new MutationObserver(function (records) {
    for (const record of records) for (const node of record.addedNodes) if (node instanceof HTMLVideoElement) notice(node);
  }).observe(document.body, { childList: true });
  return { firstFrames, all };
};
window.awaitSound = function (roomId, count) {
  return new Promise(function (resolve) {
    function poll() {
      // Unique: streams on lines of one data connection share it.
      const pcs = Array.from(new Set(window.client.mediaConnections(roomId).incoming));
      Promise.all(pcs.map(function (pc) { return pc.getStats(); })).then(function (reports) {
        let arrived = 0;
        for (const report of reports) report.forEach(function (s) { if (s.type === 'inbound-rtp' && s.kind === 'audio' && s.packetsReceived > 0) arrived++; });
        if (arrived >= count) resolve(); else setTimeout(poll, 50);
      });
    }
    poll();
  });
};`;

/** The relay's frame counters (its /metrics): frames received from clients and written to them. */
async function relayFrames(relay: ListeningRelay): Promise<{ in: number; out: number }> {
  const text = await (await fetch(`http://127.0.0.1:${relay.port}/metrics`)).text();
  const counter = (name: string) => Number(new RegExp(`^${name} (\\d+)`, 'm').exec(text)?.[1] ?? NaN);
  return { in: counter('relay_messages_in_total'), out: counter('relay_messages_out_total') };
}

/**
 * framesDecoded keyed by the peer connection's position and inbound-rtp id (a retried
 * connection is a new key), each with its stats timestamp, and bytes sent with the page's clock:
 * collecting stats from a starved page takes a while, so rates are taken over the stats' own
 * times, not the benchmark's.
 */
async function rtpTotals(page: Page, room: string): Promise<{ frames: Record<string, { count: number; at: number }>; bytesSent: number; at: number }> {
  return page.evaluate(async (roomId) => {
    // Unique: streams on lines of one data connection share it (media-lines.ts).
    const connections = window.client!.mediaConnections(roomId);
    const [incoming, outgoing] = [[...new Set(connections.incoming)], [...new Set(connections.outgoing)]];
    const frames: Record<string, { count: number; at: number }> = {};
    let bytesSent = 0;
    const at = performance.timeOrigin + performance.now();
    for (const [index, pc] of incoming.entries()) {
      (await pc.getStats()).forEach((s: Record<string, unknown>) => {
        if (s.type === 'inbound-rtp' && s.kind === 'video') frames[`${index}:${String(s.ssrc)}`] = { count: Number(s.framesDecoded ?? 0), at: Number(s.timestamp) };
      });
    }
    for (const pc of outgoing) {
      (await pc.getStats()).forEach((s: Record<string, unknown>) => {
        if (s.type === 'outbound-rtp') bytesSent += Number(s.bytesSent ?? 0);
      });
    }
    return { frames, bytesSent, at };
  }, room);
}

async function measure(browser: Browser, relay: ListeningRelay, peers: number, mode: 'budget' | 'fixed'): Promise<Result> {
  const room = `media-${peers}-${mode}-${Date.now()}`;
  const probeMs = speedProbe();
  const pages: Page[] = [];
  for (let i = 0; i < peers; i++) {
    const page = await openMember(browser, relay, `m${i}`, mode === 'fixed' ? { uploadBudgetBps: UNLIMITED_BPS } : {}, { trace: args.trace });
    await page.evaluate(() => window.media.open('cam'));
    await page.addScriptTag({ content: WATCH_PICTURES });
    pages.push(page);
  }
  try {
    const framesBefore = await relayFrames(relay);
    const starts = await Promise.all(pages.map((page) => enterAndWatch(page, room, peers - 1)));
    const framesAfter = await relayFrames(relay);
    if (args.trace) {
      const traced = await Promise.all(pages.map(async (page, i) => ({ name: `m${i}`, entries: await page.evaluate(() => window.trace ?? []), firstFrames: starts[i].firstFrames })));
      console.log(`\ntrace, ${peers} peers, ${mode}:\n${traceReport(traced)}\n`);
      if (args['trace-out']) writeFileSync(args['trace-out'], JSON.stringify(traced, null, 1));
    }
    await new Promise((resolve) => setTimeout(resolve, 2000)); // let encoders settle on the plan
    const before = await Promise.all(pages.map((page) => rtpTotals(page, room)));
    // CPU over the window itself, not over the stats collections around it.
    const cpuBefore = chromiumCpuSeconds();
    const t0 = Date.now();
    await new Promise((resolve) => setTimeout(resolve, windowMs));
    const cpuPercent = ((chromiumCpuSeconds() - cpuBefore) / ((Date.now() - t0) / 1000)) * 100;
    const after = await Promise.all(pages.map((page) => rtpTotals(page, room)));
    // Videos present for the whole window only (one redone meanwhile has new keys), and playing
    // before it (every picture was showing by then): a data connection's line that carries no
    // stream has a video receiver that never decodes anything.
    const fps = after
      .flatMap((a, i) =>
        Object.entries(a.frames).flatMap(([key, { count, at }]) => {
          const start = before[i].frames[key];
          return start && start.count > 0 ? [((count - start.count) * 1000) / (at - start.at)] : [];
        }),
      )
      .sort((a, b) => a - b);
    const uploads = after.map((a, i) => ((a.bytesSent - before[i].bytesSent) * 8) / ((a.at - before[i].at) / 1000) / 1e6);
    return {
      peers,
      mode,
      startMs: Math.max(...starts.map((start) => start.ms)),
      soundMs: Math.max(...starts.map((start) => start.soundMs)),
      relayIn: framesAfter.in - framesBefore.in,
      relayOut: framesAfter.out - framesBefore.out,
      cpuPercent,
      fpsMin: fps[0] ?? 0,
      fpsMedian: fps[Math.floor(fps.length / 2)] ?? 0,
      uploadMbpsMax: Math.max(...uploads),
      probeMs,
    };
  } finally {
    for (const page of pages) await page.context().close();
  }
}

async function main(): Promise<void> {
  speedProbe(); // warms up, so the first run's probe is comparable
  const relay = await listenRelay();
  const browser = await launchChromium();
  console.log(`machine: ${cpus().length} CPUs, load average ${loadavg().map((l) => l.toFixed(2)).join(' ')}, Node ${process.version}, Chromium ${browser.version()}`);
  const rows: string[] = [];
  try {
    for (const peers of peerCounts) {
      for (const mode of modes) {
        for (let run = 1; run <= runs; run++) {
          const r = await measure(browser, relay, peers, mode);
          const line =
            `| ${peers} | ${mode} | ${Math.round(r.startMs)} | ${Math.round(r.soundMs)} | ${r.relayIn} / ${r.relayOut} | ${Math.round(r.cpuPercent)} | ${r.fpsMin.toFixed(1)} | ` +
            `${r.fpsMedian.toFixed(1)} | ${r.uploadMbpsMax.toFixed(2)} | ${Math.round(r.probeMs)} |`;
          console.log(line);
          rows.push(line);
        }
      }
    }
  } finally {
    await browser.close();
    await relay.close();
  }
  console.log('\n| peers | mode | enterRoom → all videos (ms) | → all sound too (ms) | relay frames in / out | Chromium CPU (% of a core) | decoded fps, min | median | upload per member, max (Mbps) | speed probe (ms) |');
  console.log('|---:|---|---:|---:|---:|---:|---:|---:|---:|---:|');
  for (const row of rows) console.log(row);
}

await main();
