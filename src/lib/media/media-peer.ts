/**
 * One media connection: one stream, one way, from its publisher to one player [R-5][R-31].
 *
 * One connection per (stream, player) means nothing is ever renegotiated — simple-peer's
 * renegotiation is its weakest part (DESIGN.md §2) — and a stream that nobody plays has no
 * connection at all, so it costs its publisher no upload. The publisher offers (it owns the
 * tracks); muting is `track.enabled` and a device switch is `replaceTrack`, neither of which
 * touches the SDP.
 */
import SimplePeer, { type SignalData } from 'simple-peer/simplepeer.min.js';

export interface MediaPeerOptions {
  /** The publisher's side: the stream to send. The player's side receives. */
  send?: MediaStream;
  /** simple-peer options: `config` (ICE servers) and `wrtc`. */
  peerOpts: Record<string, unknown>;
  /** An offer, answer or candidate for the other side. */
  signal(data: SignalData): void;
  /** Player side: the remote stream has arrived. */
  onStream?(stream: MediaStream): void;
  /** A text from the other side over the connection's data channel: peer input, unchecked. */
  onText?(text: string): void;
  onConnected?(): void;
  /** Called once, however the connection ends (closed here, by the other side, or failed). */
  onEnded(reason: string): void;
  /** Steps of connecting (offer/answer out and in, ICE connected, connect, stream), for trace.ts. */
  trace?(event: string): void;
}

/**
 * Chromium reports a peer that vanished (crashed tab, pulled cable) as `disconnected` after a
 * few seconds and may take much longer to call it `failed`; a connection that stays
 * disconnected this long is treated as failed so the player can ask again.
 */
const DISCONNECTED_GRACE_MS = 4000;
const textDecoder = new TextDecoder();

export class MediaPeer {
  readonly #peer: SimplePeer;
  /** Kept here: simple-peer drops its `_pc` when it is destroyed, before it emits `close`. */
  readonly #pc: RTCPeerConnection;
  readonly #options: MediaPeerOptions;
  #ended = false;
  #graceTimer: ReturnType<typeof setTimeout> | undefined;

  constructor(options: MediaPeerOptions) {
    this.#options = options;
    this.#peer = new SimplePeer({ ...options.peerOpts, initiator: options.send !== undefined, stream: options.send });
    const trace = options.trace;
    // Which candidates go out, and when, is the connection's own business (candidates.ts).
    this.#peer.on('signal', (data) => {
      if (trace && (data.type === 'offer' || data.type === 'answer')) trace(`media-${data.type}-out`);
      options.signal(data);
    });
    this.#peer.on('stream', (stream) => {
      trace?.('media-stream');
      options.onStream?.(stream);
    });
    if (options.onText) {
      const onText = options.onText;
      // simple-peer hands data over as bytes, whatever was sent.
      this.#peer.on('data', (chunk: Uint8Array | string) => onText(typeof chunk === 'string' ? chunk : textDecoder.decode(chunk)));
    }
    this.#peer.on('connect', () => {
      trace?.('media-connected');
      options.onConnected?.();
    });
    this.#peer.on('error', (error) => this.#end(error.code ?? error.message));
    this.#peer.on('close', () => this.#end('closed'));
    this.#pc = this.#peer._pc;
    this.#pc.addEventListener('connectionstatechange', this.#watchConnection);
    if (trace) {
      const onIce = () => {
        if (this.#pc.iceConnectionState !== 'connected') return;
        this.#pc.removeEventListener('iceconnectionstatechange', onIce);
        trace('media-ice-connected');
      };
      this.#pc.addEventListener('iceconnectionstatechange', onIce);
    }
  }

  get peerConnection(): RTCPeerConnection {
    return this.#pc;
  }

  get connected(): boolean {
    return this.#peer.connected;
  }

  /** Sends a short text over the data channel; false when there is none open (not connected yet, or ended). */
  sendText(text: string): boolean {
    if (this.#ended || !this.#peer.connected) return false;
    try {
      this.#peer.send(text);
      return true;
    } catch {
      return false; // the channel closed between the check and the send
    }
  }

  /** Signal data from the other side; ignored once ended. */
  receiveSignal(data: SignalData): void {
    if (this.#ended) return;
    if (this.#options.trace && (data.type === 'offer' || data.type === 'answer')) this.#options.trace(`media-${data.type}-in`);
    try {
      this.#peer.signal(data);
    } catch (error) {
      // A signal simple-peer cannot use (malformed, or out of order) ends this attempt only.
      this.#end(`bad-signal: ${String(error)}`);
    }
  }

  close(): void {
    this.#end('closed');
  }

  readonly #watchConnection = (): void => {
    const state = this.#pc.connectionState;
    clearTimeout(this.#graceTimer);
    if (state === 'failed') this.#end('failed');
    else if (state === 'disconnected') this.#graceTimer = setTimeout(() => this.#end('disconnected'), DISCONNECTED_GRACE_MS);
  };

  #end(reason: string): void {
    if (this.#ended) return;
    this.#ended = true;
    clearTimeout(this.#graceTimer);
    this.#pc.removeEventListener('connectionstatechange', this.#watchConnection);
    // destroy() closes the RTCPeerConnection, which releases it (and its count) at once.
    this.#peer.destroy();
    this.#options.onEnded(reason);
  }
}
