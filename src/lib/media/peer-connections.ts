/**
 * Counts this page's RTCPeerConnections, and closes the ones left behind. Chromium allows
 * about 500 per page over its lifetime (closed ones count until collected), and a tab in five
 * rooms with churn opens many — data connections (y-webrtc) and media connections alike — so
 * the client keeps a count it can show and test (DESIGN.md §2).
 *
 * Left behind: when two y-webrtc peers announce themselves at the same moment, both offer, and
 * the losing offer's connection can end up referenced by nobody and never answered: it stays
 * open (`have-local-offer`, state `new`) for the life of the page. Measured here: one per room
 * and member on a busy machine, before the announce gate (rooms/announce-gate.ts) settled glare
 * between our clients; with stock y-webrtc peers it can still happen. An offer unanswered for
 * STALE_OFFER_MS will never be answered (answers travel through the relay in well under a
 * second), so such a connection is closed, and its owner is told the way the browser tells of a connection closed under it: an
 * `iceconnectionstatechange` event with the state now `closed` (simple-peer then destroys its
 * peer, and y-webrtc forgets it and announces itself again if it still cares).
 */
import type { Wrtc } from '../rooms/chunking-rtc.js';

export interface PeerConnectionCount {
  /** Created since the page loaded. */
  created: number;
  /** Not yet closed. */
  open: number;
}

const STALE_OFFER_MS = 15_000;
const SWEEP_EVERY_MS = 5000;

const count: PeerConnectionCount = { created: 0, open: 0 };
/** Open ones, with when they were created; alive anyway until closed, so nothing extra is kept. */
const open = new Map<RTCPeerConnection, number>();
let sweeper: ReturnType<typeof setInterval> | undefined;

export function peerConnectionCount(): PeerConnectionCount {
  return { ...count };
}

/** The page's peer connections that are not closed yet. */
export function openPeerConnections(): RTCPeerConnection[] {
  return [...open.keys()];
}

function isUnansweredOffer(pc: RTCPeerConnection): boolean {
  return pc.signalingState === 'have-local-offer' && pc.connectionState === 'new';
}

/** Closes connections whose offer went unanswered too long; returns how many. */
function closeStalePeerConnections(now = performance.now()): number {
  let closed = 0;
  for (const [pc, createdAt] of open) {
    if (now - createdAt < STALE_OFFER_MS || !isUnansweredOffer(pc)) continue;
    pc.close();
    pc.dispatchEvent(new Event('iceconnectionstatechange'));
    closed++;
  }
  return closed;
}

function tracked(pc: RTCPeerConnection): void {
  count.created++;
  count.open++;
  open.set(pc, performance.now());
  sweeper ??= setInterval(() => closeStalePeerConnections(), SWEEP_EVERY_MS);
}

function released(pc: RTCPeerConnection): void {
  count.open--;
  open.delete(pc);
  if (open.size === 0) {
    clearInterval(sweeper);
    sweeper = undefined;
  }
}

/** `wrtc` for simple-peer whose peer connections are counted; wraps `base` (the browser's by default). */
export function createCountingWrtc(base: Wrtc = globalThis as unknown as Wrtc): Wrtc {
  class CountedRTCPeerConnection extends base.RTCPeerConnection {
    #closed = false;

    constructor(configuration?: RTCConfiguration) {
      super(configuration);
      tracked(this);
    }

    override close(): void {
      if (!this.#closed) {
        this.#closed = true;
        released(this);
      }
      super.close();
    }
  }
  return { RTCPeerConnection: CountedRTCPeerConnection, RTCSessionDescription: base.RTCSessionDescription, RTCIceCandidate: base.RTCIceCandidate };
}
