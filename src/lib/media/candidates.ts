/**
 * Which of simple-peer's candidate signals are worth passing on, and when: media connections do
 * not send the others, and a room's data connections (y-webrtc's, announce-gate.ts) do not take
 * them; a media connection's first candidates go inside its offer or answer (HalfTrickle).
 *
 * Chromium gathers, besides its UDP host candidates, `tcptype active` TCP ones (port 9): an
 * active candidate can only connect to a *passive* one, and Chromium offers none, so between
 * two of our Chromium peers they never form a pair. Sent anyway, each costs a relay message,
 * and on the receiving page an `addIceCandidate`, during which the page waits for WebRTC's own
 * thread — in a six-person room on two cores, where a page was blocked there 11 % of the time
 * while the room started. Left out, the room's media connected sooner: median 5.7 s against
 * 8.0 s to every picture, ICE median 0.85 s against 1.3 s; and when the data connections stopped
 * taking them too, 6.1 s against 7.2 s (BENCHMARKS.md "Media").
 *
 * What is given up: a TCP path to a peer that offers passive TCP candidates (Firefox can) when
 * UDP between the two is blocked; a TURN server (`iceServers`) is the way through such networks.
 */
import type { SignalData } from 'simple-peer/simplepeer.min.js';

export function isUnpairableCandidate(signal: unknown): boolean {
  const candidate = (signal as { candidate?: { candidate?: unknown } } | null)?.candidate?.candidate;
  return typeof candidate === 'string' && / tcptype active(\s|$)/.test(candidate);
}

/** How long a description waits for this end's candidates to be gathered into it, at most. */
export const GATHER_WAIT_MS = 150;
/**
 * A pause this long after a candidate ends the wait too: host candidates come in one burst,
 * while a STUN server's (or an unreachable one's) may take a round trip or never come.
 */
export const GATHER_QUIET_MS = 25;

/**
 * Half-trickle for a media connection's outgoing signals: the offer or answer waits until this
 * end's candidates are gathered (gathering complete, a pause after the last one, or
 * GATHER_WAIT_MS, whichever comes first) and goes out with them in its SDP; a candidate found
 * later trickles as usual. Sent one by one, a connection's four host candidates a side were
 * eight relay messages and, on each receiving page, four `addIceCandidate` calls that wait on
 * WebRTC's own thread — thirty connections' worth while six members enter a room together.
 */
export class HalfTrickle {
  readonly #pc: RTCPeerConnection;
  readonly #send: (data: SignalData) => void;
  /** The offer or answer waiting for candidates. */
  #held: SignalData | undefined;
  #waiting: SignalData[] = [];
  #timer: ReturnType<typeof setTimeout> | undefined;
  #quietTimer: ReturnType<typeof setTimeout> | undefined;
  /** The SDP sent last: candidates already in it are not sent again. */
  #sentSdp = '';

  constructor(pc: RTCPeerConnection, send: (data: SignalData) => void) {
    this.#pc = pc;
    this.#send = send;
  }

  /** A signal simple-peer wants sent. */
  push(data: SignalData): void {
    if (data.type === 'offer' || data.type === 'answer') {
      this.#held = data;
      if (this.#pc.iceGatheringState === 'complete') this.#release();
      else {
        this.#pc.addEventListener('icegatheringstatechange', this.#onGathering);
        this.#timer = setTimeout(() => this.#release(), GATHER_WAIT_MS);
      }
    } else if (this.#held) {
      this.#waiting.push(data);
      clearTimeout(this.#quietTimer);
      this.#quietTimer = setTimeout(() => this.#release(), GATHER_QUIET_MS);
    } else this.#forward(data);
  }

  /** The connection ended: nothing more is sent. */
  stop(): void {
    this.#unlisten();
    this.#held = undefined;
    this.#waiting = [];
  }

  readonly #onGathering = (): void => {
    if (this.#pc.iceGatheringState === 'complete') this.#release();
  };

  #release(): void {
    const held = this.#held;
    this.#unlisten();
    if (!held) return;
    this.#held = undefined;
    // The local description as it stands now carries every candidate gathered so far.
    const current = this.#pc.localDescription;
    const sdp = current && current.type === held.type ? current.sdp : String(held.sdp ?? '');
    this.#sentSdp = sdp;
    this.#send({ ...held, sdp });
    const waiting = this.#waiting;
    this.#waiting = [];
    for (const data of waiting) this.#forward(data);
  }

  #forward(data: SignalData): void {
    const candidate = (data as { candidate?: { candidate?: unknown } }).candidate?.candidate;
    // Foundation, component, transport, priority, address and port name a candidate; the
    // event's text adds a ufrag that its SDP line leaves out.
    const identity = typeof candidate === 'string' ? candidate.split(' ').slice(0, 6).join(' ') : '';
    if (identity && this.#sentSdp.includes(`a=${identity} `)) return;
    this.#send(data);
  }

  #unlisten(): void {
    clearTimeout(this.#timer);
    clearTimeout(this.#quietTimer);
    this.#pc.removeEventListener('icegatheringstatechange', this.#onGathering);
  }
}
