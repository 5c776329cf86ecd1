/**
 * People using the app in e2e journeys: each in their own browser context (its own storage,
 * fake camera and microphone), driving the UI by role and accessible name. What they notice is
 * read from the page: a tile whose picture has a size and moves, sound that reaches its element.
 */
import { expect, type Browser, type Locator, type Page } from '@playwright/test';

export interface JoinOptions {
  name?: string;
  password?: string;
  role?: 'Participant' | 'Audience';
  mode?: 'enter' | 'join' | 'create';
  /** Devices for this person: camera (default), microphone only, or none (light on CPU). */
  devices?: 'Camera and microphone' | 'Microphone only' | 'No devices';
}

let counter = 0;
/** A room id no earlier run has used (rooms may outlive a test by their destroyDelay). */
export function uniqueRoom(prefix: string): string {
  return `${prefix}-${Date.now().toString(36)}-${(counter++).toString(36)}`;
}

export async function openPerson(browser: Browser, path = '/', locale = 'en-US'): Promise<Page> {
  const context = await browser.newContext({ locale });
  const page = await context.newPage();
  page.on('pageerror', (error) => console.log(`[pageerror] ${error.message}`));
  await page.goto(path);
  return page;
}

/** Fills the join form (the lobby's, or the rooms view's "Join another room") and joins. */
export async function joinRoom(page: Page, roomId: string | null, options: JoinOptions = {}): Promise<void> {
  const form = page.getByRole('form', { name: /Join a room|Join another room/ });
  if (options.devices) await page.getByLabel('Devices').selectOption({ label: options.devices });
  const name = form.getByLabel('Your name');
  if (options.name && (await name.isEnabled())) await name.fill(options.name);
  if (roomId !== null) await form.getByLabel('Room', { exact: true }).fill(roomId);
  if (options.password) await form.getByLabel('Password (optional)').fill(options.password);
  if (options.role) await form.getByRole('radio', { name: new RegExp(options.role) }).check();
  if (options.mode === 'enter') await form.getByLabel('Join it, or create it if nobody is there').check();
  if (options.mode === 'join') await form.getByLabel('Only join a room that already exists').check();
  if (options.mode === 'create') await form.getByLabel('Only create a new room').check();
  await form.getByRole('button', { name: 'Join', exact: true }).click();
}

/** The room's panel: `article` named by its heading. */
export function roomPanel(page: Page, roomId: string): Locator {
  return page.locator(`article[data-room="${roomId}"]`);
}

export async function expectInRoom(page: Page, roomId: string): Promise<void> {
  await expect(roomPanel(page, roomId).getByRole('status').first()).toHaveText('Connected', { timeout: 20_000 });
}

/** A video tile by its label ("Ben", "Ann (you)", "Ben’s screen"). */
export function tile(page: Page, roomId: string, label: string): Locator {
  return roomPanel(page, roomId).getByRole('figure', { name: label, exact: true });
}

/** The tile's picture has a size and new frames keep coming. */
export async function expectTilePlaying(tileLocator: Locator, timeout = 25_000): Promise<void> {
  const video = tileLocator.locator('video');
  await expect.poll(() => video.evaluate((element: HTMLVideoElement) => element.videoWidth), { timeout }).toBeGreaterThan(0);
  // New frames, not playback time (which runs on for a frozen picture too).
  const frames = () => video.evaluate((element: HTMLVideoElement) => element.getVideoPlaybackQuality().totalVideoFrames);
  const before = await frames();
  await expect.poll(frames, { timeout: 10_000 }).toBeGreaterThan(before + 3);
}

/**
 * Sound reaches the tile: the stream its element plays carries audio with energy in it (the
 * fake microphone beeps). Measured with an AnalyserNode on the element's own stream.
 */
export async function tileAudioPeak(tileLocator: Locator): Promise<number> {
  return tileLocator.locator('video').evaluate(async (element: HTMLVideoElement) => {
    const stream = element.srcObject as MediaStream | null;
    if (!stream || stream.getAudioTracks().length === 0) return 0;
    const context = new AudioContext();
    const analyser = context.createAnalyser();
    context.createMediaStreamSource(stream).connect(analyser);
    const samples = new Float32Array(analyser.fftSize);
    let peak = 0;
    const until = performance.now() + 1500;
    while (performance.now() < until) {
      analyser.getFloatTimeDomainData(samples);
      for (const sample of samples) peak = Math.max(peak, Math.abs(sample));
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
    await context.close();
    return peak;
  });
}

export async function sendChat(page: Page, roomId: string, text: string): Promise<void> {
  const panel = roomPanel(page, roomId);
  await panel.getByRole('textbox', { name: 'Message' }).fill(text);
  await panel.getByRole('button', { name: 'Send' }).click();
}

export function chatLog(page: Page, roomId: string): Locator {
  return roomPanel(page, roomId).getByRole('log', { name: 'Chat' });
}
