import type { Page } from '@playwright/test';
import { test, expect } from './support/test';
import { openMember, uniqueRoom } from './support/room-client';
import { expectVideoPlaying, openMediaMember } from './support/media';

/**
 * Members who enter a room at the same moment (a class starting, everyone back after an outage)
 * end with one data connection per pair (src/lib/rooms/announce-gate.ts). Both sides of a pair
 * offer ("glare") whenever their announces cross at the relay, and left to y-webrtc a pair that
 * glares can end dead for the 8–14 s stuck-connections.ts waits (six members in a password room,
 * where announces used to cross: 3 of 3 runs). The gate settles it: the smaller peer id keeps
 * its offer, the larger gives way. A member's announce follows its subscription at once, so
 * crossing is rare at entry; the crossing tests hold every announce until all are in, so that
 * every pair crosses. Read from the clients' trace (RoomClientOptions.trace, which the harness
 * keeps in `window.trace`): each `data-conn` is one y-webrtc connection created, as initiator or
 * not; `data-glare-gave-way` one discarded to settle glare; `data-glare` an offer that met one of
 * ours and was not settled.
 */

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
  const traces = await Promise.all(pages.map((page) => page.evaluate(() => window.trace ?? [])));
  const peerIds = traces.map((trace) => trace.find((entry) => entry.event === 'data-peer-id')!.peer!);
  const pairs: { pair: string; made: string[]; gaveWay: string[]; unsettled: number }[] = [];
  for (let a = 0; a < pages.length; a++) {
    for (let b = a + 1; b < pages.length; b++) {
      const made = [
        ...traces[a].filter((e) => e.event === 'data-conn' && e.peer === peerIds[b]).map((e) => (e.initiator ? `${a} offers` : `${a} answers`)),
        ...traces[b].filter((e) => e.event === 'data-conn' && e.peer === peerIds[a]).map((e) => (e.initiator ? `${b} offers` : `${b} answers`)),
      ].sort();
      const count = (at: number, other: number, event: string) => traces[at].filter((e) => e.event === event && e.peer === peerIds[other]).length;
      // Who gave way in a glare: the larger peer id, always.
      const gaveWay = [...Array(count(a, b, 'data-glare-gave-way')).fill(peerIds[a] > peerIds[b] ? `${a} (larger)` : `${a} (smaller)`), ...Array(count(b, a, 'data-glare-gave-way')).fill(peerIds[b] > peerIds[a] ? `${b} (larger)` : `${b} (smaller)`)];
      pairs.push({ pair: `${a}-${b}`, made, gaveWay, unsettled: count(a, b, 'data-glare') + count(b, a, 'data-glare') });
    }
  }
  return pairs;
}

/**
 * What every pair should show: one connection each side, one offering and one answering; plus,
 * where the two offered at once, the larger peer id's offer, discarded. Returns how many pairs
 * glared.
 */
function expectOnePerPair(pairs: Awaited<ReturnType<typeof dataConnections>>): number {
  let glared = 0;
  for (const { pair, made, gaveWay, unsettled } of pairs) {
    const [a, b] = pair.split('-');
    const answering = made.find((entry) => entry.endsWith('answers'))?.split(' ')[0];
    const offering = answering === a ? b : a;
    const discarded = gaveWay.length === 1 ? [`${answering} offers`] : [];
    expect({ pair, made, gaveWay: gaveWay.map((who) => who.split(' ')[1]), unsettled }).toEqual({
      pair,
      made: [`${offering} offers`, `${answering} answers`, ...discarded].sort(),
      gaveWay: gaveWay.length === 1 ? ['(larger)'] : [],
      unsettled: 0,
    });
    glared += gaveWay.length;
  }
  return glared;
}

/**
 * expectOnePerPair once every pair has made its connections: a member can list everyone before
 * each of its own connections exists (the others pass awareness on), so the trace is read again
 * until it is complete. Returns how many pairs glared.
 */
async function expectOneEachOnceConnected(pages: Page[]): Promise<number> {
  let glared = 0;
  await expect(async () => {
    glared = expectOnePerPair(await dataConnections(pages));
  }).toPass({ timeout: 20_000 });
  return glared;
}

test('[R-51] six members entering at the same moment see each other, with one data connection per pair', async ({ browser }) => {
  const room = uniqueRoom('together');
  const pages = await Promise.all(['ann', 'ben', 'cat', 'dan', 'eve', 'fay'].map((id) => openMember(browser, id, { persistHistory: false })));
  await enterTogether(pages, room);
  for (const page of pages) await expect.poll(() => seenCount(page, room), { timeout: 20_000 }).toBe(6);
  await expectOneEachOnceConnected(pages);
});

type Holding = Window & { releasePublishes?: () => void };

/**
 * Every relay `publish` a page sends (y-webrtc's announce and signals) is held until
 * releasePublishes: released once every member is in, each announce reaches a room where all
 * are subscribed, so each pair hears both announces and both sides offer. (A fixed delay of
 * 400 ms did not always do it: on a busy machine one member took a second to be let in, and its
 * pairs did not cross.)
 */
async function holdPublishes(page: Page): Promise<void> {
  await page.evaluate(() => {
    const send = WebSocket.prototype.send;
    const held: [WebSocket, string][] = [];
    let holding = true;
    (window as Holding).releasePublishes = () => {
      holding = false;
      for (const [socket, data] of held.splice(0)) send.call(socket, data);
    };
    WebSocket.prototype.send = function (this: WebSocket, data: string | ArrayBufferLike | Blob | ArrayBufferView) {
      if (holding && typeof data === 'string' && data.startsWith('{"type":"publish"')) held.push([this, data]);
      else send.call(this, data);
    };
  });
}

for (const password of ['', 'open sesame']) {
  test(`[R-51]${password ? '[R-41]' : ''} announces crossing at the relay${password ? ' in a password room' : ''}: every pair offers both ways, and settles on one connection`, async ({ browser }) => {
    const room = uniqueRoom('together-crossing');
    const pages = await Promise.all(['ann', 'ben', 'cat', 'dan'].map((id) => openMember(browser, id, { persistHistory: false })));
    await Promise.all(pages.map(holdPublishes));
    await enterTogether(pages, room, password || undefined);
    await Promise.all(pages.map((page) => page.evaluate(() => (window as Holding).releasePublishes!())));
    for (const page of pages) await expect.poll(() => seenCount(page, room), { timeout: 20_000 }).toBe(4);
    expect(await expectOneEachOnceConnected(pages)).toBe(6);
  });
}

test('[R-51][R-41] six members entering a password room at once, whose signaling the gate opens with the room key', async ({ browser }) => {
  const room = uniqueRoom('together-locked');
  const pages = await Promise.all(['ann', 'ben', 'cat', 'dan', 'eve', 'fay'].map((id) => openMember(browser, id, { persistHistory: false })));
  await enterTogether(pages, room, 'open sesame');
  for (const page of pages) await expect.poll(() => seenCount(page, room), { timeout: 20_000 }).toBe(6);
  await expectOneEachOnceConnected(pages);
});

test('[R-30][R-31] four members with cameras entering at the same moment all see each other’s video', async ({ browser }) => {
  const room = uniqueRoom('together-video');
  const ids = ['ann', 'ben', 'cat', 'dan'];
  const pages = await Promise.all(ids.map((id) => openMediaMember(browser, id, { persistHistory: false })));
  // Cameras open first, as the lobby's preview does.
  await Promise.all(pages.map((page) => page.evaluate(() => window.media.open('cam'))));
  await enterTogether(pages, room);
  for (const [i, page] of pages.entries()) {
    for (const other of ids.filter((id) => id !== ids[i])) await expectVideoPlaying(page, room, `cam-${other}`);
  }
  await expectOneEachOnceConnected(pages);
});
