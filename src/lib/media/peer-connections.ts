/**
 * Counts this page's RTCPeerConnections. Chromium allows about 500 per page over its lifetime
 * (closed ones count until collected), and a tab in five rooms with churn opens many — data
 * connections (y-webrtc) and media connections alike — so the client keeps a count it can show
 * and test (DESIGN.md §2).
 */
import type { Wrtc } from '../rooms/chunking-rtc.js';

export interface PeerConnectionCount {
  /** Created since the page loaded. */
  created: number;
  /** Not yet closed. */
  open: number;
}

const count: PeerConnectionCount = { created: 0, open: 0 };

export function peerConnectionCount(): PeerConnectionCount {
  return { ...count };
}

/** `wrtc` for simple-peer whose peer connections are counted; wraps `base` (the browser's by default). */
export function createCountingWrtc(base: Wrtc = globalThis as unknown as Wrtc): Wrtc {
  class CountedRTCPeerConnection extends base.RTCPeerConnection {
    #closed = false;

    constructor(configuration?: RTCConfiguration) {
      super(configuration);
      count.created++;
      count.open++;
    }

    override close(): void {
      if (!this.#closed) {
        this.#closed = true;
        count.open--;
      }
      super.close();
    }
  }
  return { RTCPeerConnection: CountedRTCPeerConnection, RTCSessionDescription: base.RTCSessionDescription, RTCIceCandidate: base.RTCIceCandidate };
}
