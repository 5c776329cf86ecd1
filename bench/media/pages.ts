/**
 * What the media benchmarks share: one Chromium with fake camera and microphone, and members
 * each in their own browser context, on a page of the relay's origin (127.0.0.1: a secure
 * context) with the room-client and media harnesses of the e2e tests loaded.
 */
import { chromium, type Browser, type Page } from '@playwright/test';
import type { ListeningRelay } from '../../signaling/listen.js';
import { bundleFixture } from '../../tests/e2e/support/bundle.js';

/** `fakeDevices`: how many fake cameras (and microphones) the browser offers; one by default. */
export function launchChromium({ fakeDevices = 1 }: { fakeDevices?: number } = {}): Promise<Browser> {
  return chromium.launch({
    executablePath: process.env.CHROMIUM_PATH || '/usr/bin/chromium',
    args: [
      '--no-sandbox',
      `--use-fake-device-for-media-stream=device-count=${fakeDevices}`,
      '--use-fake-ui-for-media-stream',
      '--allow-loopback-in-peer-connection',
      '--autoplay-policy=no-user-gesture-required',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
    ],
  });
}

export type { TraceEntry } from '../../tests/e2e/fixtures/room-client.js';

export async function openMember(
  browser: Browser,
  relay: ListeningRelay,
  name: string,
  clientOptions: { uploadBudgetBps?: number } = {},
  { trace = false }: { trace?: boolean } = {},
): Promise<Page> {
  const page = await (await browser.newContext()).newPage();
  await page.goto(`http://127.0.0.1:${relay.port}/healthz`);
  await page.addScriptTag({ content: await bundleFixture('room-client') });
  await page.addScriptTag({ content: await bundleFixture('media-client') });
  await page.evaluate(([n, url, options]) => window.startClient(n, n, url, { persistHistory: false, ...options }), [name, relay.url, { ...clientOptions, recordTrace: trace }] as const);
  return page;
}
