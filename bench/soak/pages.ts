/**
 * Pages of the soak (issue 6): the watched tab and the churners, each in its own browser
 * context (separate contexts meet over the relay and WebRTC, never BroadcastChannel: DESIGN.md
 * §2), on the relay's /healthz page (a secure context that runs none of the app's own code)
 * with the room-client and media harnesses of the e2e tests loaded.
 */
import type { Browser, BrowserContext, Page } from '@playwright/test';
import { bundleFixture } from '../../tests/e2e/support/bundle.js';

/** What the watched tab's page keeps about its own RTCPeerConnections. */
export interface PeerConnectionLedger {
  /** Constructed since the page loaded. */
  constructed: number;
  /** Garbage-collected since (a FinalizationRegistry saw them go). */
  collected: number;
  /** Constructions Chromium refused ("Cannot create so many PeerConnections"). */
  refused: number;
}

declare global {
  interface Window {
    soakLedger: PeerConnectionLedger;
  }
}

/**
 * Runs before any page script: wraps RTCPeerConnection so the page knows how many it has that
 * are not yet garbage-collected. Chromium refuses the 501st such connection of a page, closed
 * or not (DESIGN.md §2; measured: 500 closed ones block a new one until a GC), so a soak must
 * watch this figure, not only the library's open count. The library's counting wrapper
 * (src/lib/media/peer-connections.ts) extends whatever RTCPeerConnection is global when the
 * client starts, so it extends this one.
 */
function installPeerConnectionLedger(): void {
  const ledger: PeerConnectionLedger = { constructed: 0, collected: 0, refused: 0 };
  window.soakLedger = ledger;
  const collected = new FinalizationRegistry<number>(() => {
    ledger.collected++;
  });
  const Native = window.RTCPeerConnection;
  class LedgeredRTCPeerConnection extends Native {
    constructor(configuration?: RTCConfiguration) {
      try {
        super(configuration);
      } catch (error) {
        // Counted, then thrown on: the caller (simple-peer) reports it as it would anyway.
        ledger.refused++;
        throw error;
      }
      ledger.constructed++;
      collected.register(this, 0);
    }
  }
  window.RTCPeerConnection = LedgeredRTCPeerConnection;
}

export interface SoakPage {
  page: Page;
  context: BrowserContext;
  userId: string;
}

/** Opens a member in a fresh browser context of `browser` and starts its room client. */
export async function openSoakPage(browser: Browser, relayUrl: string, healthUrl: string, userId: string, options: { ledger?: boolean; persistHistory?: boolean } = {}): Promise<SoakPage> {
  const context = await browser.newContext();
  // tsx (esbuild, keepNames) wraps named functions in the code handed to page.evaluate in
  // `__name(fn, "name")`, a helper that exists only in Node; in the page it is the identity.
  await context.addInitScript({ content: 'globalThis.__name = (fn) => fn;' });
  if (options.ledger) await context.addInitScript(installPeerConnectionLedger);
  const page = await context.newPage();
  await page.goto(healthUrl);
  await page.addScriptTag({ content: await bundleFixture('room-client') });
  await page.addScriptTag({ content: await bundleFixture('media-client') });
  await page.evaluate(
    ([id, url, persistHistory]) => window.startClient(id, `User ${id}`, url, { persistHistory }),
    [userId, relayUrl, options.persistHistory ?? false] as const,
  );
  return { page, context, userId };
}

/**
 * The watched tab enters every room, publishes one camera capture (320x240, with microphone)
 * into all of them as `cam`, and plays every stream it is told of — into an element of its own
 * that it removes when the stream goes, as an app would (the media fixture's `play` keeps one
 * element per stream id forever, which is right for a test and wrong for a soak).
 */
export async function startWatchedTab(page: Page, rooms: string[]): Promise<void> {
  await page.evaluate(async (roomIds) => {
    const client = window.client!;
    const elementId = (e: { roomId: string; memberId: string; streamId: string }) => `soak:${e.roomId}:${e.memberId}:${e.streamId}`;
    client.on('streamAdded', (e) => {
      const element = document.createElement('video');
      element.id = elementId(e);
      element.dataset.soak = 'playing';
      element.autoplay = true;
      element.srcObject = client.play(e.roomId, e.streamId);
      document.body.append(element);
    });
    client.on('streamRemoved', (e) => {
      const element = document.getElementById(elementId(e)) as HTMLVideoElement | null;
      if (!element) return;
      element.srcObject = null;
      element.remove();
    });
    await window.media.open('cam', { width: 320, height: 240 });
    for (const roomId of roomIds) {
      await client.enterRoom({ roomId });
      await client.publish(roomId, window.media.streams['cam'], { streamId: 'cam' });
    }
  }, rooms);
}

/** What the watched tab reports about itself at one moment (see sampleWatchedTab). */
export interface WatchedTabState {
  /** Other members the tab sees, per room, in the order of `rooms`. */
  members: number[];
  /** The same members as `roomId memberId`. */
  memberKeys: string[];
  created: number;
  open: number;
  ledger: PeerConnectionLedger;
  /** Open peer connections whose connectionState is `connected`; the rest are being set up or torn down. */
  connected: number;
  /** The others: `connectionState/signalingState` of each. */
  pending: string[];
  /** Media elements playing a remote stream. */
  playing: number;
  /** Chat messages received since the last report: text and page clock. */
  messages: { text: string; at: number }[];
}

/**
 * Reads the watched tab's state, and empties the harness's event log (it records every event
 * forever, which in a soak would be growth of the harness, not of the client).
 */
export function readWatchedTab(page: Page, rooms: string[]): Promise<WatchedTabState> {
  return page.evaluate((roomIds) => {
    const client = window.client!;
    const messages = window.events.flatMap((e) => (e.event === 'message' && typeof e.text === 'string' ? [{ text: e.text, at: e.at }] : []));
    window.events.length = 0;
    return {
      members: roomIds.map((id) => (client.room(id)?.members.length ?? 1) - 1),
      memberKeys: roomIds.flatMap((id) => (client.room(id)?.members ?? []).filter((m) => !m.isLocal).map((m) => `${id} ${m.memberId}`)),
      ...client.peerConnectionCount,
      ledger: { ...window.soakLedger },
      connected: window.openPeerConnections().filter((pc) => pc.connectionState === 'connected').length,
      pending: window
        .openPeerConnections()
        .filter((pc) => pc.connectionState !== 'connected')
        .map((pc) => `${pc.connectionState}/${pc.signalingState}`),
      playing: document.querySelectorAll('[data-soak="playing"]').length,
      messages,
    };
  }, rooms);
}
