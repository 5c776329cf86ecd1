/**
 * Opens members for room-client tests: each in its own browser context (so peers meet over the
 * relay and WebRTC, never BroadcastChannel), with the library harness (fixtures/room-client.ts)
 * loaded in a page of the app's origin.
 */
import type { Browser, Page } from '@playwright/test';
import { bundleFixture } from './bundle';

export interface MemberOptions {
  relayUrl?: string;
  maxRooms?: number;
  persistHistory?: boolean;
}

/**
 * Where harness pages live: any page of the app's origin gives a secure context and the relay;
 * /healthz runs none of the app's own code (no camera preview, service worker or second client),
 * so only the library under test is in the page.
 */
export const HARNESS_PAGE = '/healthz';

export async function openMember(browser: Browser, userId: string, options: MemberOptions = {}): Promise<Page> {
  const context = await browser.newContext();
  const page = await context.newPage();
  await page.goto(HARNESS_PAGE);
  await startHarness(page, userId, options);
  return page;
}

/** Loads the harness into the page as it is now (after `goto` or `reload`) and starts a client. */
export async function startHarness(page: Page, userId: string, options: MemberOptions = {}): Promise<void> {
  await page.addScriptTag({ content: await bundleFixture('room-client') });
  const { relayUrl = new URL('/relay', page.url()).href.replace(/^http/, 'ws'), ...clientOptions } = options;
  // The trace too: a failing test prints it (support/test.ts).
  await page.evaluate(([id, url, opts]) => window.startClient(id, `User ${id}`, url, { recordTrace: true, ...opts }), [userId, relayUrl, clientOptions] as const);
}

/** Runs a client method in the page: its value, or `{ error: code }`. */
export function call(page: Page, method: string, ...args: unknown[]): Promise<unknown> {
  return page.evaluate(([m, a]) => window.call(m, ...a), [method, args] as const);
}

let counter = 0;
/** A room id no other test (or earlier run against the same relay) uses. */
export function uniqueRoom(label: string): string {
  return `${label}-${Date.now().toString(36)}-${counter++}`;
}
