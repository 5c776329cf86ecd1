/**
 * `npm run bench:app-join`: what a person waits for in the app itself, from clicking Join to
 * every picture of the room playing: their own (the self view) and each other person's.
 *
 * N people (--people 2,4), each in a fresh browser context of one Chromium, open the lobby, fill
 * in their name and the room, and let the camera previews run; then all click Join at once.
 * Each page notes the click (a capturing click listener) and, every animation frame, when each
 * tile's <video> in the room first shows a decoded frame (getVideoPlaybackQuality). A picture
 * that has not come 10 s after the click is reported as missing.
 *
 * --cameras: `own` gives each person a fake camera of their own; `shared` has every page open
 * Chromium's one default fake camera. Chromium shares a capture device between the pages that
 * open it, and with one device shared by four pages the pictures of three of them started ~2.5 s
 * late, together (BENCHMARKS.md "The app: clicking Join"): what a machine with one camera and
 * four tabs would see, not four people with a camera each. In `own`, fake_device_1 is skipped:
 * it is Chromium's fake depth camera (16-bit grey), whose frames WebRTC does not send.
 *
 * The app is built and served from a private copy of the checkout (bench/app/private-app.ts).
 * Numbers are printed, never asserted.
 * Options: --people 2,4 --runs 3 --cameras own|shared --port 4402 --app-dir /tmp/f-app --rebuild auto|always|never
 */
import { parseArgs } from 'node:util';
import type { Browser, Page } from '@playwright/test';
import { launchChromium } from './media/pages.js';
import { preparePrivateApp, startAppServer } from './app/private-app.js';

const { values: args } = parseArgs({
  options: {
    people: { type: 'string', default: '2,4' },
    runs: { type: 'string', default: '3' },
    cameras: { type: 'string', default: 'own' },
    port: { type: 'string', default: '4402' },
    'app-dir': { type: 'string', default: '/tmp/f-app' },
    rebuild: { type: 'string', default: 'auto' },
  },
});
const peopleCounts = args.people.split(',').map(Number);
const runs = Number(args.runs);
const ownCameras = args.cameras === 'own';
const rebuild = args.rebuild as 'auto' | 'always' | 'never';
if (peopleCounts.some((n) => !Number.isInteger(n) || n < 1 || n > 6)) throw new Error(`--people takes counts from 1 to 6, got ${args.people}`);
if (!Number.isInteger(runs) || runs < 1) throw new Error(`--runs must be a whole number ≥ 1, got ${args.runs}`);
if (!['own', 'shared'].includes(args.cameras)) throw new Error(`--cameras must be own or shared, got ${args.cameras}`);
if (!['auto', 'always', 'never'].includes(rebuild)) throw new Error(`--rebuild must be auto, always or never, got ${args.rebuild}`);

const WATCH_MS = 10_000;
/**
 * The fake camera (fake_device_<n>) of each person in `own`: not 1, whose frames WebRTC does
 * not send (see above), nor 4 and 7, assuming Chromium gives its fake cameras its three formats
 * in turn (only 1 was checked).
 */
const CAMERA_NUMBERS = [0, 2, 3, 5, 6, 8];

/**
 * The page's watch, as plain script (tsx would wrap a function passed to evaluate() in a helper
 * the page does not have): `window.firstFrames[tile name]` = ms from the click to its first
 * decoded frame.
 */
const WATCH_SCRIPT = `
  window.firstFrames = {};
  document.addEventListener('click', () => { window.clickedAt = performance.now(); }, { capture: true, once: true });
  (function watch() {
    if (window.clickedAt !== undefined) {
      for (const video of document.querySelectorAll('article video')) {
        const name = video.closest('figure')?.getAttribute('aria-label') ?? '?';
        if (!(name in window.firstFrames) && video.getVideoPlaybackQuality().totalVideoFrames > 0) window.firstFrames[name] = performance.now() - window.clickedAt;
      }
    }
    requestAnimationFrame(watch);
  })();`;

async function openPerson(browser: Browser, url: string, room: string, index: number): Promise<Page> {
  const page = await (await browser.newContext()).newPage();
  await page.goto(url);
  const form = page.getByRole('form', { name: /Join a room/ });
  await form.getByLabel('Your name').fill(`P${index}`);
  await form.getByLabel('Room', { exact: true }).fill(room);
  if (ownCameras) {
    const camera = page.locator('select', { has: page.locator('option', { hasText: 'fake_device_0' }) });
    await camera.selectOption({ label: `fake_device_${CAMERA_NUMBERS[index]}` });
  }
  await page.addScriptTag({ content: WATCH_SCRIPT });
  return page;
}

/** Every picture each person should see, with when it came (null: not within WATCH_MS). */
async function oneRun(browser: Browser, url: string, people: number): Promise<(number | null)[][]> {
  const room = `join-${Date.now().toString(36)}`;
  const pages: Page[] = [];
  for (let i = 0; i < people; i++) pages.push(await openPerson(browser, url, room, i));
  try {
    await new Promise((resolve) => setTimeout(resolve, 3000)); // the lobbies settle, previews running
    await Promise.all(pages.map((page) => page.getByRole('form', { name: /Join a room/ }).getByRole('button', { name: 'Join', exact: true }).click()));
    await new Promise((resolve) => setTimeout(resolve, WATCH_MS));
    return await Promise.all(
      pages.map(async (page, i) => {
        const firsts = await page.evaluate(() => (window as unknown as { firstFrames: Record<string, number> }).firstFrames);
        const expected = Array.from({ length: people }, (_, j) => (j === i ? `P${i} (you)` : `P${j}`));
        return expected.map((name) => firsts[name] ?? null);
      }),
    );
  } finally {
    for (const page of pages) await page.context().close();
  }
}

const ms = (value: number | null) => (value === null ? 'missing' : `${(value / 1000).toFixed(2)} s`);
const median = (values: number[]) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)];

preparePrivateApp(args['app-dir'], { rebuild });
const server = await startAppServer(args['app-dir'], Number(args.port));
const browser = await launchChromium({ fakeDevices: ownCameras ? CAMERA_NUMBERS[Math.max(...peopleCounts) - 1] + 1 : 1 });
try {
  console.log(`Click Join → first frame of each picture, ${args.cameras} cameras, ${runs} run(s) each`);
  for (const people of peopleCounts) {
    for (let run = 1; run <= runs; run++) {
      const seen = await oneRun(browser, server.url, people);
      const selfViews = seen.map((row, i) => row[i]);
      const everyPicture = seen.map((row) => (row.includes(null) ? null : Math.max(...(row as number[]))));
      const all = seen.flat();
      const missing = all.filter((value) => value === null).length;
      const came = all.filter((value): value is number => value !== null);
      console.log(
        `${people} people, run ${run}: self view ${selfViews.map(ms).join(' / ')}; every picture, per person ${everyPicture.map(ms).join(' / ')}` +
          (came.length ? `; median picture ${ms(median(came))}` : '') +
          (missing ? `; ${missing} of ${all.length} pictures missing` : ''),
      );
    }
  }
} finally {
  await browser.close();
  await server.close();
}
