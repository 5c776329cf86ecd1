/**
 * `npm run bench:five-rooms`: peer connections and memory of one tab in five rooms while
 * members come and go (issue 4; Chromium allows ~500 RTCPeerConnections per page over its
 * lifetime, DESIGN.md §2).
 *
 * The host enters five rooms and publishes one camera into all of them (one capture). Two
 * guests enter all five rooms and play the host's camera in each. Then, every --every seconds,
 * one guest leaves one room and enters it again (and plays again). Every 10 s the host's page
 * reports the peer connections it has created and still has open (data and media together) and
 * its JS heap. Options: --seconds 120 --every 2
 */
import { cpus, loadavg } from 'node:os';
import { parseArgs } from 'node:util';
import type { Page } from '@playwright/test';
import { listenRelay } from '../../signaling/listen.js';
import { launchChromium, openMember } from './pages.js';

const { values: args } = parseArgs({ options: { seconds: { type: 'string', default: '120' }, every: { type: 'string', default: '2' } } });
const durationMs = Number(args.seconds) * 1000;
const everyMs = Number(args.every) * 1000;

const enterAndPlay = (page: Page, room: string) =>
  page.evaluate(async (roomId) => {
    await window.client!.enterRoom({ roomId });
    while (!window.client!.room(roomId)?.streams.length) await new Promise((resolve) => setTimeout(resolve, 50));
    await window.media.play(roomId, 'cam');
  }, room);

const sample = (page: Page) =>
  page.evaluate(() => ({
    ...window.client!.peerConnectionCount,
    heapMb: ((performance as Performance & { memory?: { usedJSHeapSize: number } }).memory?.usedJSHeapSize ?? 0) / 1024 / 1024,
  }));

async function main(): Promise<void> {
  const relay = await listenRelay();
  const browser = await launchChromium();
  console.log(`machine: ${cpus().length} CPUs, load average ${loadavg().map((l) => l.toFixed(2)).join(' ')}, Chromium ${browser.version()}`);
  const rooms = [1, 2, 3, 4, 5].map((n) => `five-${n}-${Date.now()}`);
  try {
    const host = await openMember(browser, relay, 'host');
    await host.evaluate(async (ids) => {
      await window.media.open('cam', { width: 320, height: 240 });
      for (const id of ids) {
        await window.client!.enterRoom({ roomId: id });
        await window.client!.publish(id, window.media.streams['cam'], { streamId: 'cam' });
      }
    }, rooms);
    const guests = [await openMember(browser, relay, 'guest-a'), await openMember(browser, relay, 'guest-b')];
    for (const guest of guests) for (const room of rooms) await enterAndPlay(guest, room);
    console.log('| t (s) | created | open | host JS heap (MB) | rejoins so far |');
    console.log('|---:|---:|---:|---:|---:|');
    const started = Date.now();
    let rejoins = 0;
    let nextReport = 0;
    while (Date.now() - started < durationMs) {
      if (Date.now() - started >= nextReport) {
        const s = await sample(host);
        console.log(`| ${Math.round((Date.now() - started) / 1000)} | ${s.created} | ${s.open} | ${s.heapMb.toFixed(1)} | ${rejoins} |`);
        nextReport += 10_000;
      }
      const guest = guests[rejoins % 2];
      const room = rooms[Math.floor(rejoins / 2) % rooms.length];
      await guest.evaluate((id) => window.client!.leaveRoom(id), room);
      await enterAndPlay(guest, room);
      rejoins++;
      await new Promise((resolve) => setTimeout(resolve, everyMs));
    }
    // Everyone leaves: what is still open at the host afterwards was leaked.
    for (const guest of guests) await guest.evaluate(() => window.client!.leaveAllRooms());
    await new Promise((resolve) => setTimeout(resolve, 20_000));
    const end = await sample(host);
    console.log(`after all guests left (+20 s): created ${end.created}, open ${end.open}, JS heap ${end.heapMb.toFixed(1)} MB; rejoins ${rejoins}`);
  } finally {
    await browser.close();
    await relay.close();
  }
}

await main();
