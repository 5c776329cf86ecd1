/**
 * Which ICE candidates are worth sending, and when. Every connection this client makes (a
 * room's data connections, y-webrtc's, and its media connections) leaves out the unpairable
 * ones and sends its first candidates inside its offer or answer (createHalfTrickleWrtc); a
 * room's data connections also refuse unpairable ones from others (announce-gate.ts).
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
import type { Wrtc } from '../rooms/chunking-rtc.js';

export function isUnpairableCandidate(signal: unknown): boolean {
  const candidate = (signal as { candidate?: { candidate?: unknown } } | null)?.candidate?.candidate;
  return typeof candidate === 'string' && isUnpairableLine(candidate);
}

function isUnpairableLine(candidate: string): boolean {
  return / tcptype active(\s|$)/.test(candidate);
}

/** How long a description waits for this end's candidates to be gathered into it, at most. */
export const GATHER_WAIT_MS = 150;
/**
 * A pause this long after a candidate ends the wait too: host candidates come in one burst,
 * while a STUN server's (or an unreachable one's) may take a round trip or never come.
 */
export const GATHER_QUIET_MS = 25;

type IceCandidateHandler = ((this: RTCPeerConnection, event: RTCPeerConnectionIceEvent) => unknown) | null;

/**
 * `wrtc` for simple-peer (`opts.wrtc`, as in chunking-rtc.ts) whose connections half-trickle:
 * `setLocalDescription` resolves once this end's candidates are gathered (gathering complete, a
 * pause after the last one, or GATHER_WAIT_MS, whichever comes first), so the description
 * simple-peer then reads and sends carries them in its SDP; a candidate found later trickles as
 * usual. Sent one by one, a connection's four host candidates a side were eight relay messages,
 * each delivered to every member on the topic, and on the receiving page four
 * `addIceCandidate` calls that wait on WebRTC's own thread — forty-five connections' worth
 * while six members enter a room together. Unpairable candidates are not handed out on their
 * own; the SDP lists every gathered one, which costs nothing there (the other end never pairs
 * them, and no call or message is spent on them).
 *
 * Only `onicecandidate` (what simple-peer reads) sees the filtered events; as in
 * chunking-rtc.ts the connection is a subclass, so everything else is the browser's own.
 */
export function createHalfTrickleWrtc(base: Wrtc = globalThis as unknown as Wrtc): Wrtc {
  class HalfTrickleRTCPeerConnection extends base.RTCPeerConnection {
    #onicecandidate: IceCandidateHandler = null;
    /** Candidates found while a description waits; null when none waits. */
    #held: RTCPeerConnectionIceEvent[] | null = null;
    /** Ends the current wait early (a pause after a candidate). */
    #candidateSeen: (() => void) | undefined;
    /** The SDP last handed out: candidates already in it are not handed out again. */
    #sentSdp = '';

    constructor(configuration?: RTCConfiguration) {
      super(configuration);
      super.addEventListener('icecandidate', (event) => this.#onCandidate(event));
      Object.defineProperty(this, 'onicecandidate', {
        get: () => this.#onicecandidate,
        set: (handler: IceCandidateHandler) => {
          this.#onicecandidate = typeof handler === 'function' ? handler : null;
        },
        enumerable: true,
        configurable: true,
      });
    }

    override async setLocalDescription(description?: RTCLocalSessionDescriptionInit): Promise<void> {
      this.#held ??= [];
      try {
        await super.setLocalDescription(description);
        await this.#gathered();
      } catch (error) {
        this.#release();
        throw error;
      }
      this.#release();
    }

    /** Hands out what was held, after the caller has had the description (it continues once setLocalDescription settles). */
    #release(): void {
      this.#sentSdp = this.localDescription?.sdp ?? '';
      const held = this.#held ?? [];
      this.#held = null;
      if (held.length === 0) return;
      setTimeout(() => {
        for (const event of held) this.#handOut(event);
      });
    }

    #gathered(): Promise<void> {
      return new Promise((resolve) => {
        let quiet: ReturnType<typeof setTimeout> | undefined;
        const done = () => {
          clearTimeout(cap);
          clearTimeout(quiet);
          this.removeEventListener('icegatheringstatechange', onState);
          this.#candidateSeen = undefined;
          resolve();
        };
        const onState = () => {
          if (this.iceGatheringState === 'complete') done();
        };
        const cap = setTimeout(done, GATHER_WAIT_MS);
        this.#candidateSeen = () => {
          clearTimeout(quiet);
          quiet = setTimeout(done, GATHER_QUIET_MS);
        };
        this.addEventListener('icegatheringstatechange', onState);
        onState();
      });
    }

    #onCandidate(event: RTCPeerConnectionIceEvent): void {
      if (this.#held) {
        this.#held.push(event);
        this.#candidateSeen?.();
      } else this.#handOut(event);
    }

    #handOut(event: RTCPeerConnectionIceEvent): void {
      const line = event.candidate?.candidate;
      if (line && (isUnpairableLine(line) || sdpHasCandidate(this.#sentSdp, line))) return;
      this.#onicecandidate?.call(this, event);
    }
  }
  return { RTCPeerConnection: HalfTrickleRTCPeerConnection, RTCSessionDescription: base.RTCSessionDescription, RTCIceCandidate: base.RTCIceCandidate };
}

/**
 * Whether an SDP already lists a candidate. Foundation, component, transport, priority,
 * address and port name it; the event's text adds a ufrag that the SDP line leaves out.
 */
function sdpHasCandidate(sdp: string, line: string): boolean {
  return sdp.includes(`a=${line.split(' ').slice(0, 6).join(' ')} `);
}
