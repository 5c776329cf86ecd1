/**
 * What the media benchmarks share: one Chromium with fake camera and microphone, and members
 * each in their own browser context, on a page of the relay's origin (127.0.0.1: a secure
 * context) with the room-client and media harnesses of the e2e tests loaded.
 */
import { chromium, type Browser, type Page } from '@playwright/test';
import type { ListeningRelay } from '../../signaling/listen.js';
import { bundleFixture } from '../../tests/e2e/support/bundle.js';

export function launchChromium(): Promise<Browser> {
  return chromium.launch({
    executablePath: process.env.CHROMIUM_PATH || '/usr/bin/chromium',
    args: [
      '--no-sandbox',
      '--use-fake-device-for-media-stream',
      '--use-fake-ui-for-media-stream',
      '--allow-loopback-in-peer-connection',
      '--autoplay-policy=no-user-gesture-required',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
    ],
  });
}

/** One step a member's client traced (RoomClientOptions.trace), with the page's wall clock. */
export interface TraceEntry {
  at: number;
  event: string;
  [detail: string]: unknown;
}

declare global {
  interface Window {
    /** Filled when the member was opened with `trace`. */
    trace?: TraceEntry[];
  }
}

/** RoomClientOptions.trace for a page: records into `window.trace` with the wall clock. */
export const TRACE_SINK = 'window.traceSink = (event, detail) => (window.trace ??= []).push({ at: Date.now(), event, ...detail });';

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
  // The sink is the page's own function (one cannot be handed over from here), as plain script:
  // tsx would wrap a function written inside evaluate() in a helper the page does not have.
  if (trace) await page.addScriptTag({ content: TRACE_SINK });
  await page.evaluate(
    ([n, url, options]) => {
      const start = window.startClient as (userId: string, userName: string, relayUrl: string, options: Record<string, unknown>) => void;
      const sink = (window as { traceSink?: unknown }).traceSink;
      start(n, n, url, { persistHistory: false, ...options, ...(sink ? { trace: sink } : {}) });
    },
    [name, relay.url, clientOptions] as const,
  );
  return page;
}
