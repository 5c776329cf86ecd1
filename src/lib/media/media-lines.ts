/**
 * Media lines on the room's data connections: a `wrtc` layer (like chunking-rtc.ts) that gives
 * every connection y-webrtc makes an audio+video line each way (LINE_COUNT), negotiated with
 * the connection itself, and a small control channel beside y-webrtc's own.
 *
 * Why: a member of a six-member room used to hold fifteen connections — five data connections
 * and ten media connections, one per (stream, player) — and every one of them negotiated and
 * checked ICE on the page's WebRTC threads while the room was starting. The data connection to
 * each member is up anyway; with lines on it, playing a stream is a message on the control
 * channel and a `replaceTrack` at its publisher: no offer, no answer, no ICE. Measured: a
 * quarter sooner to every picture at two and four members, a third of the peer connections
 * and a quarter of the relay traffic at six (whose start the saturated machine sets either
 * way: BENCHMARKS.md "Media on the data connections").
 *
 * How, without renegotiating (simple-peer's weakest part, DESIGN.md §2) and without changing
 * y-webrtc or simple-peer:
 * - the offering side adds LINE_COUNT audio and video transceivers, `sendrecv` and without
 *   tracks, just before its first offer, so they are part of that offer;
 * - the answering side turns the transceivers the offer made at its end from `recvonly` into
 *   `sendrecv` before it answers (simple-peer answers once setRemoteDescription settles);
 * - each end then has LINE_COUNT lines that send (its senders) and receive (its receivers);
 *   line i is the i-th audio and the i-th video transceiver in m-line order, the same at both
 *   ends. A sender without a track sends nothing: which stream goes on which line is up
 *   to line-link.ts, by `replaceTrack`.
 * - the control channel is negotiated (a fixed id, both ends create it), so it needs no
 *   signaling and never reaches y-webrtc's `datachannel` handler.
 * A stock y-webrtc peer answers our lines `recvonly` and never opens the control channel; an
 * offer of its own has no lines. Either way no link comes up and media goes the old way
 * (separate media connections, room-media.ts).
 */
import type { Wrtc } from '../rooms/chunking-rtc.js';

/**
 * Lines per direction on a data connection: one, for the camera. Each line is two more m-lines
 * that every data connection negotiates, used or not; with two lines (camera and screen) six
 * members entering together took 1.1–3.4 s longer to see everyone, in each of 6 alternating
 * runs (BENCHMARKS.md "Media on the data connections"). A second stream played at once from
 * one member (a screen share) gets a connection of its own.
 */
export const LINE_COUNT = 1;
/** SCTP stream of the control channel: far from the ids simple-peer's channel gets (0 or 1). */
const CONTROL_CHANNEL_ID = 777;
const CONTROL_CHANNEL_LABEL = 'mesh-rooms-media';

export interface MediaLine {
  readonly index: number;
  readonly audio: RTCRtpTransceiver;
  readonly video: RTCRtpTransceiver;
}

type LinkListener = () => void;

/**
 * The media side of one data connection: its lines and its control channel. `open` once the
 * channel is: by then the lines are negotiated at both ends.
 */
export class MediaLink {
  readonly pc: RTCPeerConnection;
  #channel: RTCDataChannel | null = null;
  #closed = false;
  readonly #onOpen = new Set<LinkListener>();
  readonly #onClose = new Set<LinkListener>();
  readonly #onMessage = new Set<(text: string) => void>();

  constructor(pc: RTCPeerConnection) {
    this.pc = pc;
  }

  get open(): boolean {
    return !this.#closed && this.#channel?.readyState === 'open';
  }

  get closed(): boolean {
    return this.#closed;
  }

  /** The lines, in m-line order; empty until negotiated (and for good with a stock peer). */
  get lines(): MediaLine[] {
    const usable = this.pc.getTransceivers().filter((transceiver) => transceiver.mid !== null && transceiver.currentDirection !== 'stopped');
    const audio = usable.filter((transceiver) => transceiver.receiver.track.kind === 'audio');
    const video = usable.filter((transceiver) => transceiver.receiver.track.kind === 'video');
    const count = Math.min(audio.length, video.length, LINE_COUNT);
    return Array.from({ length: count }, (_, index) => ({ index, audio: audio[index], video: video[index] }));
  }

  /** Sends a control message; false when the channel is not open. */
  send(text: string): boolean {
    if (!this.open) return false;
    try {
      this.#channel!.send(text);
      return true;
    } catch {
      return false; // closing meanwhile
    }
  }

  on(event: 'open' | 'close', listener: LinkListener): () => void;
  on(event: 'message', listener: (text: string) => void): () => void;
  on(event: 'open' | 'close' | 'message', listener: LinkListener | ((text: string) => void)): () => void {
    const set = (event === 'open' ? this.#onOpen : event === 'close' ? this.#onClose : this.#onMessage) as Set<typeof listener>;
    set.add(listener);
    return () => set.delete(listener);
  }

  /** Called by the connection once its lines are part of a description at both ends. */
  attachChannel(channel: RTCDataChannel): void {
    if (this.#channel || this.#closed) return;
    this.#channel = channel;
    channel.addEventListener('open', () => {
      if (!this.#closed) for (const listener of [...this.#onOpen]) listener();
    });
    channel.addEventListener('message', (event: MessageEvent) => {
      if (this.#closed || typeof event.data !== 'string') return;
      for (const listener of [...this.#onMessage]) listener(event.data);
    });
    channel.addEventListener('close', () => this.markClosed());
  }

  markClosed(): void {
    if (this.#closed) return;
    this.#closed = true;
    for (const listener of [...this.#onClose]) listener();
    this.#onOpen.clear();
    this.#onClose.clear();
    this.#onMessage.clear();
  }
}

const links = new WeakMap<RTCPeerConnection, MediaLink>();

/** The media link of a connection made through createMediaLinesWrtc, if it is one. */
export function mediaLinkOf(pc: RTCPeerConnection | undefined | null): MediaLink | undefined {
  return pc ? links.get(pc) : undefined;
}

/** `wrtc` whose connections carry media lines; wraps `base` (the browser's by default). */
export function createMediaLinesWrtc(base: Wrtc = globalThis as unknown as Wrtc): Wrtc {
  class MediaLinesRTCPeerConnection extends base.RTCPeerConnection {
    readonly #link: MediaLink;

    constructor(configuration?: RTCConfiguration) {
      super(configuration);
      this.#link = new MediaLink(this);
      links.set(this, this.#link);
      // A connection that fails or is closed from the other side; our own close() is below.
      this.addEventListener('connectionstatechange', () => {
        if (this.connectionState === 'failed' || this.connectionState === 'closed') this.#link.markClosed();
      });
    }

    override createOffer(options?: RTCOfferOptions): Promise<RTCSessionDescriptionInit>;
    override createOffer(success: RTCSessionDescriptionCallback, failure: RTCPeerConnectionErrorCallback, options?: RTCOfferOptions): Promise<void>;
    override createOffer(...args: [RTCOfferOptions?] | [RTCSessionDescriptionCallback, RTCPeerConnectionErrorCallback, RTCOfferOptions?]): Promise<unknown> {
      // Only before the first description: later offers (none, from y-webrtc) keep what is there.
      if (!this.localDescription && !this.remoteDescription && this.getTransceivers().length === 0) {
        for (let line = 0; line < LINE_COUNT; line++) {
          this.addTransceiver('audio', { direction: 'sendrecv' });
          this.addTransceiver('video', { direction: 'sendrecv' });
        }
        this.#openControlChannel();
      }
      return (super.createOffer as (...forwarded: typeof args) => Promise<unknown>)(...args);
    }

    override async setRemoteDescription(description: RTCSessionDescriptionInit): Promise<void> {
      await super.setRemoteDescription(description);
      if (description.type !== 'offer' || this.localDescription) return;
      const offered = this.getTransceivers().filter((transceiver) => transceiver.receiver.track.kind !== undefined && transceiver.direction === 'recvonly');
      if (offered.length === 0) return; // a stock peer's offer: no lines
      for (const transceiver of offered) transceiver.direction = 'sendrecv';
      this.#openControlChannel();
    }

    override close(): void {
      super.close();
      this.#link.markClosed();
    }

    #openControlChannel(): void {
      // super's, not ours: chunking-rtc.ts must not wrap it, its messages are small.
      this.#link.attachChannel(super.createDataChannel(CONTROL_CHANNEL_LABEL, { negotiated: true, id: CONTROL_CHANNEL_ID }));
    }
  }
  return { RTCPeerConnection: MediaLinesRTCPeerConnection, RTCSessionDescription: base.RTCSessionDescription, RTCIceCandidate: base.RTCIceCandidate };
}
