import { test, expect, type Browser, type Page } from '@playwright/test';
import { bundleFixture } from './support/bundle';
import { HARNESS_PAGE, uniqueRoom } from './support/room-client';
import { expectVideoPlaying } from './support/media';

/**
 * Members who enter a room at the same moment (a class starting, everyone back after an outage)
 * connect their data once per pair, one side offering (src/lib/rooms/announce-gate.ts). Without
 * the gate both sides of a pair offer ("glare") whenever their announces cross at the relay: in
 * a password room, where sealing the announce lets both members subscribe before either
 * announces, that happened in every one of three runs of the test below with six members, and a
 * pair that glares can end dead for the 8–14 s stuck-connections.ts waits. In a room without a
 * password the announce follows the subscription at once, so crossing is rare at entry; that
 * test checks the gate's plain path. Read from the clients' trace (RoomClientOptions.trace):
 * each `data-conn` is one y-webrtc connection created, as initiator or not, and `data-glare` an
 * offer that met one of ours.
 */

test.afterEach(async ({ browser }) => {
  for (const context of browser.contexts()) await context.close();
});

interface TraceEntry {
  at: number;
  event: string;
  peer?: string;
  initiator?: boolean;
}

/** The page's trace (`window.trace`, filled by the sink given to the client below). */
type Traced = Window & { trace?: TraceEntry[] };

/** A member whose client records its trace in `window.trace`; with the media harness when `media`. */
async function openTracedMember(browser: Browser, userId: string, media: boolean): Promise<Page> {
  const page = await (await browser.newContext()).newPage();
  await page.goto(HARNESS_PAGE);
  await page.addScriptTag({ content: await bundleFixture('room-client') });
  if (media) await page.addScriptTag({ content: await bundleFixture('media-client') });
  // The client's trace sink, as the page's own script.
  await page.addScriptTag({ content: 'window.traceSink = (event, detail) => (window.trace ??= []).push({ at: Date.now(), event, ...detail });' });
  const relayUrl = new URL('/relay', page.url()).href.replace(/^http/, 'ws');
  await page.evaluate(
    ([id, url]) => {
      const start = window.startClient as (userId: string, userName: string, relayUrl: string, options: Record<string, unknown>) => void;
      start(id, `User ${id}`, url, { persistHistory: false, trace: (window as { traceSink?: unknown }).traceSink });
    },
    [userId, relayUrl] as const,
  );
  return page;
}

/** Everyone calls enterRoom at once (with its camera published right after, when `media`). */
async function enterTogether(pages: Page[], roomId: string, password?: string): Promise<void> {
  await Promise.all(
    pages.map((page) =>
      page.evaluate(
        async ([room, pass]) => {
          await window.client!.enterRoom({ roomId: room }, pass ? { password: pass } : {});
          const camera = window.media?.streams['cam'];
          if (camera) {
            window.client!.on('streamAdded', ({ roomId: r, streamId }) => void window.media.play(r, streamId));
            await window.client!.publish(room, camera, { streamId: `cam-${window.client!.user.userId}` });
          }
        },
        [roomId, password ?? ''] as const,
      ),
    ),
  );
}

const seenCount = (page: Page, roomId: string) => page.evaluate((id) => window.client?.room(id)?.members.length ?? 0, roomId);

/** Each member's y-webrtc peer id, and the data connections every page made, by pair. */
async function dataConnections(pages: Page[]) {
  const traces = await Promise.all(pages.map((page) => page.evaluate(() => (window as Traced).trace ?? [])));
  const peerIds = traces.map((trace) => trace.find((entry) => entry.event === 'data-peer-id')!.peer!);
  const pairs: { pair: string; made: string[]; glares: number }[] = [];
  for (let a = 0; a < pages.length; a++) {
    for (let b = a + 1; b < pages.length; b++) {
      const made = [
        ...traces[a].filter((e) => e.event === 'data-conn' && e.peer === peerIds[b]).map((e) => (e.initiator ? `${a} offers` : `${a} answers`)),
        ...traces[b].filter((e) => e.event === 'data-conn' && e.peer === peerIds[a]).map((e) => (e.initiator ? `${b} offers` : `${b} answers`)),
      ].sort();
      const glares = traces[a].filter((e) => e.event === 'data-glare' && e.peer === peerIds[b]).length + traces[b].filter((e) => e.event === 'data-glare' && e.peer === peerIds[a]).length;
      pairs.push({ pair: `${a}-${b}`, made, glares });
    }
  }
  return pairs;
}

/** What every pair should show: one connection each side, the smaller peer id offering (we do not know which that is). */
function expectOnePerPair(pairs: Awaited<ReturnType<typeof dataConnections>>): void {
  for (const { pair, made, glares } of pairs) {
    const [a, b] = pair.split('-');
    expect({ pair, made, glares }).toEqual({ pair, made: made.includes(`${a} offers`) ? [`${a} offers`, `${b} answers`] : [`${a} answers`, `${b} offers`], glares: 0 });
  }
}

test('[R-51] six members entering at the same moment see each other, with one data connection per pair, one side offering', async ({ browser }) => {
  const room = uniqueRoom('together');
  const pages = await Promise.all(['ann', 'ben', 'cat', 'dan', 'eve', 'fay'].map((id) => openTracedMember(browser, id, false)));
  await enterTogether(pages, room);
  for (const page of pages) await expect.poll(() => seenCount(page, room), { timeout: 20_000 }).toBe(6);
  expectOnePerPair(await dataConnections(pages));
});

test('[R-51][R-41] the same in a password room (where announces cross), whose signaling the gate opens with the room key', async ({ browser }) => {
  const room = uniqueRoom('together-locked');
  const pages = await Promise.all(['ann', 'ben', 'cat', 'dan', 'eve', 'fay'].map((id) => openTracedMember(browser, id, false)));
  await enterTogether(pages, room, 'open sesame');
  for (const page of pages) await expect.poll(() => seenCount(page, room), { timeout: 20_000 }).toBe(6);
  expectOnePerPair(await dataConnections(pages));
});

test('[R-30][R-31] four members with cameras entering at the same moment all see each other’s video', async ({ browser }) => {
  const room = uniqueRoom('together-video');
  const ids = ['ann', 'ben', 'cat', 'dan'];
  const pages = await Promise.all(ids.map((id) => openTracedMember(browser, id, true)));
  // Cameras open first, as the lobby's preview does.
  await Promise.all(pages.map((page) => page.evaluate(() => window.media.open('cam'))));
  await enterTogether(pages, room);
  for (const [i, page] of pages.entries()) {
    for (const other of ids.filter((id) => id !== ids[i])) await expectVideoPlaying(page, room, `cam-${other}`);
  }
  expectOnePerPair(await dataConnections(pages));
});
