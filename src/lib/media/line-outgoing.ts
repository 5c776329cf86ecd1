/**
 * A published stream's copy for one player on a line of the data connection to it
 * (media-lines.ts): its tracks go on the line's senders with `replaceTrack` and come off with
 * `replaceTrack(null)` when the player stops, so nothing is sent for a stream nobody plays
 * and nothing is negotiated either way.
 */
import type { MediaLine } from './media-lines.js';
import type { LineLink } from './line-link.js';
import { SendingCopy } from './outgoing.js';
import type { StreamKind } from './stream-info.js';

export interface LineOutgoingOptions {
  playerId: string;
  conn: string;
  streamId: string;
  stream: MediaStream;
  kind: StreamKind;
  link: LineLink;
  line: MediaLine;
  /** The tracks are on the line and the player has been told. */
  onSending(): void;
  /** The data connection went away (not called for close()). */
  onEnded(reason: string): void;
}

export class LineOutgoing extends SendingCopy {
  readonly #options: LineOutgoingOptions;
  readonly #unwatch: () => void;
  #sending = false;
  #closed = false;
  /** Settles once the stream's tracks are on the line (or could not be put there). */
  #placed: Promise<void> = Promise.resolve();
  #speaking = false;

  constructor(options: LineOutgoingOptions) {
    super(options.playerId, options.conn, options.stream, options.kind);
    this.#options = options;
    this.#unwatch = options.link.onClose(() => {
      if (this.#closed) return;
      this.close();
      options.onEnded('link-closed');
    });
    void this.#start();
  }

  get peerConnection(): RTCPeerConnection {
    return this.#options.link.pc;
  }

  get connected(): boolean {
    return this.#sending && !this.#closed;
  }

  get audioSender(): RTCRtpSender | undefined {
    return this.stream.getAudioTracks().length > 0 ? this.#options.line.audio.sender : undefined;
  }

  protected get videoSender(): RTCRtpSender | undefined {
    return this.stream.getVideoTracks().length > 0 ? this.#options.line.video.sender : undefined;
  }

  setSpeaking(speaking: boolean): void {
    if (speaking === this.#speaking) return;
    this.#speaking = speaking;
    if (this.#sending) this.#say(speaking);
  }

  async replaceTrack(old: MediaStreamTrack, replacement: MediaStreamTrack): Promise<void> {
    // A device switched while the stream is being put on the line: after that, or the old
    // track would land on the sender last (`sender.track` changes when replaceTrack settles).
    await this.#placed;
    if (this.#closed) return;
    const { audio, video } = this.#options.line;
    await Promise.all([audio.sender, video.sender].filter((sender) => sender.track === old).map((sender) => sender.replaceTrack(replacement)));
  }

  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    this.#unwatch();
    const { link, line, conn } = this.#options;
    link.releaseLine(line.index, conn);
    // The line goes quiet; a closed connection rejects, which is as quiet.
    for (const sender of [line.audio.sender, line.video.sender]) sender.replaceTrack(null).catch(() => {});
  }

  async #start(): Promise<void> {
    const { line, link, streamId, conn } = this.#options;
    const audio = this.stream.getAudioTracks()[0] ?? null;
    const video = this.stream.getVideoTracks()[0] ?? null;
    // The planned encoding first, so the encoder starts at that size (outgoing.ts says why).
    this.applyEncoding();
    const replaced = Promise.all([line.audio.sender.replaceTrack(audio), line.video.sender.replaceTrack(video)]);
    this.#placed = replaced.then(
      () => {},
      () => {},
    );
    // The player is told at once, not after replaceTrack (hundreds of ms on a busy page): its
    // copies of the line's tracks then show the first frames whenever they come.
    this.#sending = link.send({ t: 'sending', stream: streamId, conn, line: line.index, audio: audio !== null, video: video !== null });
    if (!this.#sending) {
      replaced.catch(() => {});
      return this.#options.onEnded('link-closed');
    }
    if (this.#speaking) this.#say(true);
    try {
      await replaced;
    } catch {
      if (this.#closed) return;
      // The player hears of it as it would of a connection of its own ending, and asks again.
      this.#options.link.send({ t: 'refuse', stream: streamId, conn, code: 'ended' });
      this.#options.onEnded('replace-track-failed');
      return;
    }
    if (!this.#closed) this.#options.onSending();
  }

  #say(on: boolean): void {
    this.#options.link.send({ t: 'speaking', stream: this.#options.streamId, conn: this.#options.conn, on });
  }
}
