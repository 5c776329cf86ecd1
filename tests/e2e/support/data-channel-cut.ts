/**
 * Lets a test cut a page's WebRTC data channels, the part of a network outage that
 * `context.setOffline(true)` leaves alone.
 *
 * Chromium's offline emulation fails new requests and WebSockets and holds the traffic of open
 * WebSockets until it is back online, but WebRTC keeps flowing (measured with Chromium 156,
 * loopback). A real outage that lasts longer than ICE consent (~30 s) ends the peer
 * connections; closing the data channels is how a test gets there without waiting: both ends
 * see the channel close, as they would see the connection fail, and have to meet again through
 * the relay once the page is back online.
 */
import type { Browser, Page } from '@playwright/test';
import { startHarness, type MemberOptions, HARNESS_PAGE } from './room-client';

declare global {
  interface Window {
    /** Closes every data channel this page has opened or accepted; returns how many were open. */
    cutDataChannels(): number;
  }
}

/**
 * Runs in the page before any of its scripts (an init script): the browser's
 * RTCPeerConnection becomes a subclass that remembers its data channels. The room client reads
 * the global when it is created, so its own wrapper (chunking-rtc.ts) builds on this one.
 */
function recordDataChannels(): void {
  const channels: RTCDataChannel[] = [];
  const Native = window.RTCPeerConnection;
  class RecordingPeerConnection extends Native {
    constructor(configuration?: RTCConfiguration) {
      super(configuration);
      this.addEventListener('datachannel', (event) => channels.push(event.channel));
    }

    override createDataChannel(label: string, init?: RTCDataChannelInit): RTCDataChannel {
      const channel = super.createDataChannel(label, init);
      channels.push(channel);
      return channel;
    }
  }
  window.RTCPeerConnection = RecordingPeerConnection;
  window.cutDataChannels = () => {
    const open = channels.filter((channel) => channel.readyState === 'open');
    for (const channel of open) channel.close();
    return open.length;
  };
}

/** A member (as `openMember`) whose data channels the test can cut with `window.cutDataChannels()`. */
export async function openCuttableMember(browser: Browser, userId: string, options: MemberOptions = {}): Promise<Page> {
  const context = await browser.newContext();
  await context.addInitScript(recordDataChannels);
  const page = await context.newPage();
  await page.goto(HARNESS_PAGE);
  await startHarness(page, userId, options);
  return page;
}
