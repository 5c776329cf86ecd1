/**
 * One published stream on its way to one player: a MediaPeer that sends, counted in the
 * client's upload budget, whose video encoding the budget sets.
 *
 * The encoding is set on the sender as soon as the budget plans it, before the connection is
 * negotiated (Chromium takes setParameters on a sender that is not negotiated yet), so the
 * encoder starts at the planned size. It used to be set once the connection was up: until
 * then every copy encoded the whole camera picture, and six members entering together started
 * thirty such encoders at once on two cores, just when their connections were being set up.
 */
import type { SignalData } from 'simple-peer/simplepeer.min.js';
import { MediaPeer } from './media-peer.js';
import { speakingMessage } from './speech.js';
import { sameEncoding, type OutgoingCopy, type VideoEncoding } from './encoding-policy.js';
import { applyVideoEncoding, type BudgetedCopy } from './upload-budget.js';
import type { StreamKind } from './stream-info.js';

export interface OutgoingOptions {
  playerId: string;
  conn: string;
  stream: MediaStream;
  kind: StreamKind;
  peerOpts: Record<string, unknown>;
  signal(data: SignalData): void;
  onConnected(): void;
  onEnded(reason: string): void;
  /** Steps of connecting, for trace.ts. */
  trace?(event: string): void;
}

export class Outgoing implements BudgetedCopy {
  readonly playerId: string;
  readonly conn: string;
  readonly #options: OutgoingOptions;
  readonly #peer: MediaPeer;
  #encoding: VideoEncoding | null = null;
  #speaking = false;

  constructor(options: OutgoingOptions) {
    this.playerId = options.playerId;
    this.conn = options.conn;
    this.#options = options;
    this.#peer = new MediaPeer({
      send: options.stream,
      peerOpts: options.peerOpts,
      trace: options.trace,
      signal: options.signal,
      onConnected: () => {
        // Whatever was said before the channel opened: the player starts out thinking "quiet".
        if (this.#speaking) this.#peer.sendText(speakingMessage(true));
        options.onConnected();
      },
      onEnded: options.onEnded,
    });
  }

  get peerConnection(): RTCPeerConnection {
    return this.#peer.peerConnection;
  }

  /** Media flows to the player (simple-peer's connect; the pc's connectionState can lag behind it). */
  get connected(): boolean {
    return this.#peer.connected;
  }

  /** The sender of the stream's microphone, if it has one. */
  get audioSender(): RTCRtpSender | undefined {
    return this.peerConnection.getSenders().find((sender) => sender.track?.kind === 'audio');
  }

  /** Tells the player whether the stream's microphone hears speech (speech.ts). */
  setSpeaking(speaking: boolean): void {
    if (speaking === this.#speaking) return;
    this.#speaking = speaking;
    this.#peer.sendText(speakingMessage(speaking));
  }

  receiveSignal(data: SignalData): void {
    this.#peer.receiveSignal(data);
  }

  close(): void {
    this.#peer.close();
  }

  describe(): OutgoingCopy {
    const video = this.#options.stream.getVideoTracks()[0];
    return {
      kind: this.#options.kind,
      hasVideo: video !== undefined,
      hasAudio: this.#options.stream.getAudioTracks().length > 0,
      sourceHeight: video?.getSettings().height ?? 0,
    };
  }

  apply(encoding: VideoEncoding | null): void {
    // getParameters() waits on WebRTC's threads: skip the round when nothing changes.
    if (sameEncoding(encoding, this.#encoding)) return;
    this.#encoding = encoding;
    this.#applyEncoding();
  }

  /** A device switch: the new track goes out on the same sender, no renegotiation. */
  async replaceTrack(old: MediaStreamTrack, replacement: MediaStreamTrack): Promise<void> {
    const sender = this.peerConnection.getSenders().find((candidate) => candidate.track === old);
    await sender?.replaceTrack(replacement);
  }

  #applyEncoding(): void {
    const encoding = this.#encoding;
    const sender = this.peerConnection.getSenders().find((candidate) => candidate.track?.kind === 'video');
    if (!encoding || !sender) return;
    // A sender closed meanwhile rejects; the next plan (or none, once closed) is what counts.
    applyVideoEncoding(sender, encoding).catch(() => {});
  }
}
