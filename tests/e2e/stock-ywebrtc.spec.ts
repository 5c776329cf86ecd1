import { HARNESS_PAGE } from './support/room-client';
import type { Browser, Page } from '@playwright/test';
import { test, expect } from './support/test';
import { bundleFixture } from './support/bundle';

/**
 * Stock y-webrtc clients work against our relay unchanged: two WebrtcProviders in two
 * separate browser contexts (so no BroadcastChannel shortcut: the data must cross a real
 * WebRTC connection set up through the relay) sync a Y.Map.
 */
async function openStockClient(browser: Browser, room: string, password?: string): Promise<Page> {
  const context = await browser.newContext();
  const page = await context.newPage();
  await page.goto(HARNESS_PAGE);
  await page.addScriptTag({ content: await bundleFixture('stock-ywebrtc') });
  const relayUrl = new URL('/relay', page.url()).href.replace(/^http/, 'ws');
  await page.evaluate(([r, url, pw]) => window.startStockClient(r, url, pw), [room, relayUrl, password] as const);
  return page;
}

async function webrtcPeers(page: Page): Promise<number> {
  return page.evaluate(() => window.stock?.provider.room?.webrtcConns.size ?? 0);
}

for (const password of [undefined, 'correct horse']) {
  test(`[R-70] two stock y-webrtc clients sync a Y.Map through the relay${password ? ' (password room)' : ''}`, async ({ browser }) => {
    const room = `stock-${password ? 'pw' : 'open'}-${Date.now()}`;
    const alice = await openStockClient(browser, room, password);
    const bob = await openStockClient(browser, room, password);

    await alice.evaluate(() => window.stock!.map.set('greeting', 'hello from alice'));
    await expect.poll(() => bob.evaluate(() => window.stock?.map.get('greeting') ?? null), { timeout: 20_000 }).toBe('hello from alice');

    await bob.evaluate(() => window.stock!.map.set('reply', 'hi alice'));
    await expect.poll(() => alice.evaluate(() => window.stock?.map.get('reply') ?? null), { timeout: 20_000 }).toBe('hi alice');

    // The sync went over a WebRTC connection negotiated through the relay.
    expect(await webrtcPeers(alice)).toBe(1);
    expect(await webrtcPeers(bob)).toBe(1);
    await alice.context().close();
    await bob.context().close();
  });
}

test('[R-70] a client with the wrong password gets none of the room data', async ({ browser }) => {
  const room = `stock-wrongpw-${Date.now()}`;
  const alice = await openStockClient(browser, room, 'right');
  const bob = await openStockClient(browser, room, 'right');
  const mallory = await openStockClient(browser, room, 'wrong');
  await alice.evaluate(() => window.stock!.map.set('secret', 'launch codes'));
  await expect.poll(() => bob.evaluate(() => window.stock?.map.get('secret') ?? null), { timeout: 20_000 }).toBe('launch codes');
  // Bob synced, so the signaling round has happened; Mallory could not decrypt any of it.
  expect(await mallory.evaluate(() => window.stock?.map.get('secret') ?? null)).toBeNull();
  expect(await webrtcPeers(mallory)).toBe(0);
  for (const page of [alice, bob, mallory]) await page.context().close();
});
