/**
 * Members for relay fault tests: the room-client harness (fixtures/room-client.ts) started with
 * a list of relay URLs instead of one, optionally with the media fixture, each in its own
 * browser context (so peers meet over the relay and WebRTC).
 */
import { expect, type Browser, type Page } from '@playwright/test';
import { bundleFixture } from './bundle';

export async function openFailoverMember(browser: Browser, userId: string, relayUrls: string[], { media = false } = {}): Promise<Page> {
  const context = await browser.newContext();
  const page = await context.newPage();
  // Any page of the app's origin will do (a secure context for media and the relay); /healthz
  // runs none of the app's own code, so only the library under test is in the page.
  await page.goto('/healthz');
  await page.addScriptTag({ content: await bundleFixture('room-client') });
  // The harness hands its relay argument to createRoomClient({ signaling }), which takes a list.
  await page.evaluate(([id, urls]) => window.startClient(id, `User ${id}`, urls as unknown as string, { persistHistory: false }), [userId, relayUrls] as const);
  if (media) await page.addScriptTag({ content: await bundleFixture('media-client') });
  return page;
}

export const relayInUse = (page: Page) => page.evaluate(() => window.client!.relayUrl);
export const states = (page: Page, roomId: string) =>
  page.evaluate((id) => window.events.flatMap((e) => (e.event === 'stateChanged' && e.roomId === id ? [`${e.state}(${e.reason})`] : [])), roomId);
/** Page-clock time of the first stateChanged to `state(reason)` after `since`. */
export const stateAt = (page: Page, roomId: string, change: string, since = 0) =>
  page.evaluate(
    ([id, wanted, after]) => window.events.find((e) => e.event === 'stateChanged' && e.roomId === id && `${e.state}(${e.reason})` === wanted && e.at >= after)?.at ?? null,
    [roomId, change, since] as const,
  );
export const texts = (page: Page, roomId: string) => page.evaluate((id) => window.client?.room(id)?.messages.map((m) => m.text) ?? [], roomId);
export const memberIds = (page: Page, roomId: string) => page.evaluate((id) => (window.client?.room(id)?.members ?? []).map((m) => m.userId).sort(), roomId);
export const peerConnections = (page: Page) => page.evaluate(() => window.client!.peerConnectionCount);

/** Every page shows exactly these chat texts, in this order. */
export async function expectChat(pages: Page[], roomId: string, expected: string[], timeout = 10_000): Promise<void> {
  for (const page of pages) await expect.poll(() => texts(page, roomId), { timeout }).toEqual(expected);
}
