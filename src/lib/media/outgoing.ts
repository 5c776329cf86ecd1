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

/** What a copy of `stream` is to the upload budget (encoding-policy.ts). */
export function describeCopy(stream: MediaStream, kind: StreamKind): OutgoingCopy {
  const video = stream.getVideoTracks()[0];
  return {
    kind,
    hasVideo: video !== undefined,
    hasAudio: stream.getAudioTracks().length > 0,
    sourceHeight: video?.getSettings().height ?? 0,
  };
}

/**
 * What a published stream's copy for one player is to the room and the budget, however it
 * travels: on its own media connection (Outgoing) or on a line of the data connection
 * (LineOutgoing, line-outgoing.ts). Sets the video encoding the budget plans on its sender.
 */
export abstract class SendingCopy implements BudgetedCopy {
  readonly playerId: string;
  readonly conn: string;
  protected readonly stream: MediaStream;
  readonly #kind: StreamKind;
  #encoding: VideoEncoding | null = null;

  constructor(playerId: string, conn: string, stream: MediaStream, kind: StreamKind) {
    this.playerId = playerId;
    this.conn = conn;
    this.stream = stream;
    this.#kind = kind;
  }

  /** The connection the copy goes over (shared with other copies and y-webrtc when on a line). */
  abstract get peerConnection(): RTCPeerConnection;
  /** Media flows to the player. */
  abstract get connected(): boolean;
  /** The sender of the stream's microphone, if it has one. */
  abstract get audioSender(): RTCRtpSender | undefined;
  protected abstract get videoSender(): RTCRtpSender | undefined;
  /** Tells the player whether the stream's microphone hears speech (speech.ts). */
  abstract setSpeaking(speaking: boolean): void;
  /** A device switch: the new track goes out on the same sender, no renegotiation. */
  abstract replaceTrack(old: MediaStreamTrack, replacement: MediaStreamTrack): Promise<void>;
  abstract close(): void;

  describe(): OutgoingCopy {
    return describeCopy(this.stream, this.#kind);
  }

  apply(encoding: VideoEncoding | null): void {
    // getParameters() waits on WebRTC's threads: skip the round when nothing changes.
    if (sameEncoding(encoding, this.#encoding)) return;
    this.#encoding = encoding;
    this.applyEncoding();
  }

  /** Sets the planned encoding, if any, on the video sender; again once a line has one. */
  protected applyEncoding(): void {
    const encoding = this.#encoding;
    const sender = this.videoSender;
    if (encoding && sender) applyVideoEncoding(sender, encoding);
  }
}

/** A copy on a media connection of its own: a MediaPeer that sends and offers. */
export class Outgoing extends SendingCopy {
  readonly #peer: MediaPeer;
  #speaking = false;

  constructor(options: OutgoingOptions) {
    super(options.playerId, options.conn, options.stream, options.kind);
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

  /** simple-peer's connect; the pc's connectionState can lag behind it. */
  get connected(): boolean {
    return this.#peer.connected;
  }

  get audioSender(): RTCRtpSender | undefined {
    return this.peerConnection.getSenders().find((sender) => sender.track?.kind === 'audio');
  }

  protected get videoSender(): RTCRtpSender | undefined {
    return this.peerConnection.getSenders().find((sender) => sender.track?.kind === 'video');
  }

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

  async replaceTrack(old: MediaStreamTrack, replacement: MediaStreamTrack): Promise<void> {
    const sender = this.peerConnection.getSenders().find((candidate) => candidate.track === old);
    await sender?.replaceTrack(replacement);
  }
}
