/**
 * Playing one remote stream [R-31][R-53]: asks its publisher, receives it over a MediaPeer,
 * and keeps asking, with backoff, whenever the connection fails, until told to stop. The caller
 * gets one MediaStream for the whole time: tracks of each new connection replace the old ones
 * inside it, so a <video> showing it picks the picture up again by itself.
 *
 * States: requesting → playing; failed → requesting again after a pause; stopped (final).
 */
import type { SignalData } from 'simple-peer/simplepeer.min.js';
import { MediaPeer } from './media-peer.js';
import { readSpeakingMessage } from './speech.js';

export type PlayerState = 'requesting' | 'playing' | 'failed' | 'stopped';

export interface PlayerOptions {
  streamId: string;
  peerOpts: Record<string, unknown>;
  /** Sends a signal of this player's to the publisher (`conn` names the attempt). */
  send(message: { t: 'play' | 'stop' } | { t: 'signal'; data: SignalData }, conn: string): void;
  stateChanged(state: PlayerState, reason: string): void;
  /** The publisher says its microphone started or stopped hearing speech; false when the connection ends. */
  speakingChanged(speaking: boolean): void;
  /** The connection is up (ICE and the data channel; `playing` comes earlier, with the tracks). */
  connected?(): void;
  /** Steps of connecting, for trace.ts. */
  trace?(event: string, detail?: Record<string, unknown>): void;
}

/** A first answer takes a round trip through the relay and ICE on loopback or a LAN. */
const CONNECT_TIMEOUT_MS = 12_000;
const RETRY_FIRST_MS = 500;
const RETRY_MAX_MS = 8000;

let attempts = 0;

export class Player {
  readonly stream = new MediaStream();
  readonly streamId: string;
  readonly #options: PlayerOptions;
  #state: PlayerState = 'requesting';
  #conn = '';
  #peer: MediaPeer | null = null;
  #timer: ReturnType<typeof setTimeout> | undefined;
  #retryDelayMs = RETRY_FIRST_MS;
  #speaking = false;

  constructor(options: PlayerOptions) {
    this.streamId = options.streamId;
    this.#options = options;
    this.#request();
  }

  get state(): PlayerState {
    return this.#state;
  }

  get peerConnection(): RTCPeerConnection | null {
    return this.#peer?.peerConnection ?? null;
  }

  /** A signal from the publisher; one for an earlier attempt is stale and dropped. */
  receive(conn: string, message: { t: 'signal'; data: SignalData } | { t: 'refuse'; code: string }): void {
    if (conn !== this.#conn || this.#state === 'stopped') return;
    if (message.t === 'refuse') return this.#fail(`refused: ${message.code}`);
    this.#peer ??= this.#connection(conn);
    this.#peer.receiveSignal(message.data);
  }

  /** Final: tells the publisher, closes the connection and ends the tracks. */
  stop(reason = 'stopped'): void {
    if (this.#state === 'stopped') return;
    if (this.#peer) this.#options.send({ t: 'stop' }, this.#conn);
    this.#closePeer();
    clearTimeout(this.#timer);
    for (const track of this.stream.getTracks()) {
      track.stop();
      this.stream.removeTrack(track);
    }
    this.#setState('stopped', reason);
  }

  #request(): void {
    this.#conn = `${(++attempts).toString(36)}-${Math.random().toString(36).slice(2, 10)}`;
    this.#setState('requesting', this.#retryDelayMs === RETRY_FIRST_MS ? 'play' : 'retry');
    this.#options.send({ t: 'play' }, this.#conn);
    this.#options.trace?.('play-sent', { conn: this.#conn });
    clearTimeout(this.#timer);
    this.#timer = setTimeout(() => this.#fail('timeout'), CONNECT_TIMEOUT_MS);
  }

  /** The attempt's connection, made when the publisher's offer arrives. */
  #connection(conn: string): MediaPeer {
    const peer: MediaPeer = new MediaPeer({
      peerOpts: this.#options.peerOpts,
      trace: this.#options.trace,
      signal: (data) => this.#options.send({ t: 'signal', data }, conn),
      onStream: (remote) => this.#adopt(remote),
      onConnected: () => this.#options.connected?.(),
      onText: (text) => {
        const speaking = readSpeakingMessage(text);
        if (this.#peer === peer && speaking !== null) this.#setSpeaking(speaking);
      },
      // Only the current connection's end is a failure; one closed on purpose is not.
      onEnded: (reason) => {
        if (this.#peer === peer) this.#fail(reason);
      },
    });
    return peer;
  }

  #adopt(remote: MediaStream): void {
    clearTimeout(this.#timer);
    // Swap the tracks inside the stream the caller holds: old out, then new in (Chromium's
    // <video> follows a stream's track changes in that order; with both in, it keeps the old).
    for (const track of this.stream.getTracks()) this.stream.removeTrack(track);
    for (const track of remote.getTracks()) this.stream.addTrack(track);
    this.#retryDelayMs = RETRY_FIRST_MS;
    this.#setState('playing', 'connected');
  }

  #fail(reason: string): void {
    if (this.#state === 'stopped') return;
    this.#closePeer();
    clearTimeout(this.#timer);
    this.#options.trace?.('play-failed', { reason });
    this.#setState('failed', reason);
    const delay = this.#retryDelayMs;
    this.#retryDelayMs = Math.min(delay * 2, RETRY_MAX_MS);
    this.#timer = setTimeout(() => this.#request(), delay);
  }

  #closePeer(): void {
    const peer = this.#peer;
    this.#peer = null;
    peer?.close();
    this.#setSpeaking(false);
  }

  #setSpeaking(speaking: boolean): void {
    if (speaking === this.#speaking) return;
    this.#speaking = speaking;
    this.#options.speakingChanged(speaking);
  }

  #setState(state: PlayerState, reason: string): void {
    const changed = state !== this.#state || state === 'requesting';
    this.#state = state;
    if (changed) this.#options.stateChanged(state, reason);
  }
}
