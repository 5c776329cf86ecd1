/**
 * `npm run bench:breakout-cpu`: what a student's tab costs in a breakout (issue 5, Benchmark;
 * SPEC §5 ): in the main room and a group room at once, against the main room alone.
 *
 * Three people with fake cameras (640×480 at 20 fps) in the app, driven through its UI by role
 * and accessible name: the teacher and student T in one Chromium, student S alone in another
 * Chromium, so S's cost is that whole browser: utime + stime of its browser process and every
 * descendant (GPU, network, renderer…; /proc/<pid>/stat), over a fixed window.
 *   - one-room: the teacher creates the main room, S and T join it. S sees two videos.
 *   - breakout (the real flow): then the teacher opens breakout rooms with 1 group (split
 *     automatically, no countdown), so the app puts S and T in the group room as well (SPEC §5:
 *     they stay in the main room). S sees the teacher and T in the main room and T in the group.
 *     With `tabs` (the default layout) the group's tab is the one shown and the main room's
 *     tiles are in a hidden tab panel; with `side-by-side` S shows both rooms (as a student who
 *     wants to watch the teacher would).
 * Once every remote tile plays, 5 s for the encoders to settle, then the window (30 s): S's CPU
 * in % of one core, and for each of S's remote tiles the frames per second its <video> decoded
 * (Chromium's `webkitDecodedFrameCount`) and presented (getVideoPlaybackQuality).
 * Scenarios alternate; each run starts both browsers afresh.
 * Numbers are printed, never asserted.
 * Options: --runs 3 --window 30 --settle 5 --port 4402 --app-dir /tmp/f-app --rebuild auto|always|never
 *          --scenarios one-room,breakout-tabs,breakout-side-by-side
 */
import { cpus, loadavg } from 'node:os';
import { parseArgs } from 'node:util';
import { chromium, expect, type Browser, type BrowserServer, type Locator, type Page } from '@playwright/test';
import { expectInRoom, expectTilePlaying, joinRoom, roomPanel, tile, uniqueRoom } from '../tests/e2e/support/app.js';
import { preparePrivateApp, startAppServer } from './app/private-app.js';
import { treeCpu } from './app/process-tree.js';
import { machineTicks } from './relay/proc.js';

const SCENARIOS = ['one-room', 'breakout-tabs', 'breakout-side-by-side'] as const;
type Scenario = (typeof SCENARIOS)[number];

const { values: args } = parseArgs({
  options: {
    runs: { type: 'string', default: '3' },
    window: { type: 'string', default: '30' },
    settle: { type: 'string', default: '5' },
    port: { type: 'string', default: '4402' },
    'app-dir': { type: 'string', default: '/tmp/f-app' },
    rebuild: { type: 'string', default: 'auto' },
    scenarios: { type: 'string', default: SCENARIOS.join(',') },
  },
});
const runs = Number(args.runs);
const windowMs = Number(args.window) * 1000;
const settleMs = Number(args.settle) * 1000;
const scenarios = args.scenarios.split(',') as Scenario[];
const rebuild = args.rebuild as 'auto' | 'always' | 'never';
for (const scenario of scenarios) if (!SCENARIOS.includes(scenario)) throw new Error(`unknown scenario "${scenario}" (known: ${SCENARIOS.join(', ')})`);
if (!Number.isInteger(runs) || runs < 1) throw new Error(`--runs must be a whole number ≥ 1, got ${args.runs}`);
if (!(windowMs > 0) || !(settleMs >= 0)) throw new Error('--window must be > 0 and --settle ≥ 0 seconds');
if (!['auto', 'always', 'never'].includes(rebuild)) throw new Error(`--rebuild must be auto, always or never, got ${args.rebuild}`);

/** The flags the e2e tests use (DESIGN.md §2), one fake camera. */
const CHROMIUM_ARGS = [
  '--no-sandbox',
  '--use-fake-device-for-media-stream',
  '--use-fake-ui-for-media-stream',
  '--allow-loopback-in-peer-connection',
  '--autoplay-policy=no-user-gesture-required',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
];

/** A Chromium of its own whose process id we know (launchServer), and a Playwright handle on it. */
async function launchOwnChromium(): Promise<{ server: BrowserServer; browser: Browser; pid: number }> {
  const server = await chromium.launchServer({ executablePath: process.env.CHROMIUM_PATH || '/usr/bin/chromium', args: CHROMIUM_ARGS });
  const pid = server.process().pid;
  if (pid === undefined) throw new Error('Chromium started without a process id');
  return { server, browser: await chromium.connect(server.wsEndpoint()), pid };
}

async function openPerson(browser: Browser, baseUrl: string): Promise<Page> {
  const context = await browser.newContext({ locale: 'en-US', baseURL: baseUrl });
  const page = await context.newPage();
  page.on('pageerror', (error) => console.log(`[pageerror] ${error.message}`));
  await page.goto('/');
  return page;
}

interface TileSample {
  room: string;
  label: string;
  presented: number;
  decoded: number;
}

/** Every remote tile of every room on S's page: frames its video element decoded and presented so far. */
function sampleTiles(page: Page): Promise<TileSample[]> {
  return page.evaluate(() =>
    [...document.querySelectorAll('article[data-room] figure')].flatMap((figure) => {
      const label = figure.getAttribute('aria-label') ?? '';
      const video = figure.querySelector('video');
      if (!video || label.endsWith('(you)')) return [];
      // webkitDecodedFrameCount: Chromium's own counter (non-standard), counted for WebRTC streams.
      const decoded = (video as HTMLVideoElement & { webkitDecodedFrameCount?: number }).webkitDecodedFrameCount ?? NaN;
      return [{ room: figure.closest('article')!.getAttribute('data-room') ?? '', label, presented: video.getVideoPlaybackQuality().totalVideoFrames, decoded }];
    }),
  );
}

interface RunResult {
  scenario: Scenario;
  cpuPercent: number;
  othersCpuPercent: number;
  machineBusyPercent: number;
  processes: number;
  tiles: { where: string; label: string; decodedFps: number; presentedFps: number }[];
}

/** The teacher opens breakout rooms: one group, everyone in it, no countdown. */
async function openOneGroup(teacher: Page, main: string): Promise<void> {
  const panel = roomPanel(teacher, main);
  const hostPanel = panel.getByRole('region', { name: 'Breakout rooms' });
  // A folded <details> in the side column; its <summary> has no role, so it is found by its words.
  if (!(await hostPanel.isVisible())) await panel.getByRole('complementary').getByText('Breakout rooms', { exact: true }).first().click();
  await hostPanel.getByLabel('Number of groups').fill('1');
  await hostPanel.getByLabel(/^Countdown in minutes/).fill('0');
  await hostPanel.getByLabel('Split automatically').check();
  await hostPanel.getByRole('button', { name: 'Open breakout rooms' }).click();
  await expect(hostPanel.getByRole('status').filter({ hasText: 'Breakout rooms are open' })).toBeVisible();
}

/** The room id of S's group room: the room on S's page that is not the main room. */
async function groupRoomOf(page: Page, main: string): Promise<string> {
  const rooms: Locator = page.locator('article[data-room]');
  await expect(rooms).toHaveCount(2, { timeout: 30_000 });
  const ids = await rooms.evaluateAll((articles) => articles.map((article) => article.getAttribute('data-room') ?? ''));
  return ids.find((id) => id !== main)!;
}

async function measure(scenario: Scenario, baseUrl: string): Promise<RunResult> {
  const others = await launchOwnChromium();
  const student = await launchOwnChromium();
  try {
    const main = uniqueRoom('bench');
    const teacher = await openPerson(others.browser, baseUrl);
    await joinRoom(teacher, main, { name: 'Teacher', mode: 'create' });
    await expectInRoom(teacher, main);
    const sam = await openPerson(student.browser, baseUrl);
    await joinRoom(sam, main, { name: 'Sam' });
    await expectInRoom(sam, main);
    const tia = await openPerson(others.browser, baseUrl);
    await joinRoom(tia, main, { name: 'Tia' });
    await expectInRoom(tia, main);
    await expectTilePlaying(tile(sam, main, 'Teacher'));
    await expectTilePlaying(tile(sam, main, 'Tia'));
    let group = '';
    if (scenario !== 'one-room') {
      await openOneGroup(teacher, main);
      group = await groupRoomOf(sam, main);
      await expectInRoom(sam, group);
      await expectInRoom(tia, group);
      if (scenario === 'breakout-side-by-side') await sam.getByRole('group', { name: 'Layout' }).getByRole('button', { name: 'Side by side' }).click();
      await expectTilePlaying(tile(sam, group, 'Tia'));
      if (scenario === 'breakout-side-by-side') await expectTilePlaying(tile(sam, main, 'Teacher'));
    }
    await new Promise((resolve) => setTimeout(resolve, settleMs));

    const machineBefore = machineTicks();
    const cpuBefore = treeCpu(student.pid);
    const othersBefore = treeCpu(others.pid);
    const tilesBefore = await sampleTiles(sam);
    const started = Date.now();
    await new Promise((resolve) => setTimeout(resolve, windowMs));
    const cpuAfter = treeCpu(student.pid);
    const othersAfter = treeCpu(others.pid);
    const machineAfter = machineTicks();
    const seconds = (Date.now() - started) / 1000;
    const tilesAfter = await sampleTiles(sam);

    const tiles = tilesAfter.flatMap((after) => {
      const before = tilesBefore.find((sample) => sample.room === after.room && sample.label === after.label);
      if (!before) return [];
      return [{ where: after.room === main ? 'main' : 'group', label: after.label, decodedFps: (after.decoded - before.decoded) / seconds, presentedFps: (after.presented - before.presented) / seconds }];
    });
    return {
      scenario,
      cpuPercent: ((cpuAfter.seconds - cpuBefore.seconds) / seconds) * 100,
      othersCpuPercent: ((othersAfter.seconds - othersBefore.seconds) / seconds) * 100,
      machineBusyPercent: ((machineAfter.busy - machineBefore.busy) / (machineAfter.total - machineBefore.total)) * 100 * cpus().length,
      processes: cpuAfter.processes,
      tiles,
    };
  } finally {
    await student.browser.close();
    await student.server.close();
    await others.browser.close();
    await others.server.close();
  }
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const middle = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1 ? sorted[middle] : (sorted[middle - 1] + sorted[middle]) / 2;
}

function describeTiles(result: RunResult): string {
  return result.tiles.map((t) => `${t.where}: ${t.label} ${t.decodedFps.toFixed(1)}/${t.presentedFps.toFixed(1)}`).join('; ');
}

async function main(): Promise<void> {
  console.log(`machine: ${cpus().length} CPUs, load average ${loadavg().map((l) => l.toFixed(2)).join(' ')} at the start, Node ${process.version}`);
  preparePrivateApp(args['app-dir'], { rebuild });
  const server = await startAppServer(args['app-dir'], Number(args.port));
  const results: RunResult[] = [];
  try {
    for (let run = 1; run <= runs; run++) {
      // Alternate the order, so no scenario always meets the machine in the same state.
      const order = run % 2 === 1 ? scenarios : [...scenarios].reverse();
      for (const scenario of order) {
        const result = await measure(scenario, server.url);
        console.log(
          `run ${run} ${scenario}: S ${result.cpuPercent.toFixed(0)} % of a core (${result.processes} processes), teacher+T ${result.othersCpuPercent.toFixed(0)} %, ` +
            `machine ${result.machineBusyPercent.toFixed(0)} % busy; S's tiles, fps decoded/presented: ${describeTiles(result)}; load ${loadavg()[0].toFixed(1)}`,
        );
        results.push(result);
      }
    }
  } finally {
    await server.close();
  }
  console.log(`\nwindow ${args.window} s after ${args.settle} s of settling; CPU in % of one core (200 % = both cores)`);
  console.log('| scenario | runs | S\'s Chromium CPU, median (range) | teacher + T Chromium CPU, median | machine busy, median | S\'s remote tiles: fps decoded / presented, median per tile |');
  console.log('|---|---:|---:|---:|---:|---|');
  for (const scenario of scenarios) {
    const own = results.filter((result) => result.scenario === scenario);
    const cpu = own.map((result) => result.cpuPercent);
    const tileKeys = [...new Set(own.flatMap((result) => result.tiles.map((t) => `${t.where}: ${t.label}`)))];
    const tileText = tileKeys
      .map((key) => {
        const samples = own.flatMap((result) => result.tiles.filter((t) => `${t.where}: ${t.label}` === key));
        return `${key} ${median(samples.map((t) => t.decodedFps)).toFixed(1)} / ${median(samples.map((t) => t.presentedFps)).toFixed(1)}`;
      })
      .join('; ');
    console.log(
      `| ${scenario} | ${own.length} | ${median(cpu).toFixed(0)} % (${Math.min(...cpu).toFixed(0)}–${Math.max(...cpu).toFixed(0)}) | ` +
        `${median(own.map((r) => r.othersCpuPercent)).toFixed(0)} % | ${median(own.map((r) => r.machineBusyPercent)).toFixed(0)} % | ${tileText} |`,
    );
  }
  console.log(`load average at the end: ${loadavg().map((l) => l.toFixed(2)).join(' ')}`);
}

await main();
