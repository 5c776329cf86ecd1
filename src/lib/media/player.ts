/**
 * Playing one remote stream [R-31][R-53]: asks its publisher, receives it, and keeps asking,
 * with backoff, whenever the connection fails, until told to stop. The caller gets one
 * MediaStream for the whole time: tracks of each new attempt replace the old ones inside it,
 * so a <video> showing it picks the picture up again by itself.
 *
 * Each attempt goes one of two ways. On a line of the data connection to the publisher
 * (media-lines.ts, line-link.ts) when there is one: a `play` on its control channel, and the
 * publisher's `sending` names the line whose tracks to show. Otherwise over the relay, on a
 * media connection of its own (MediaPeer), which the publisher offers: two tabs of one browser
 * have no data connection (y-webrtc talks over BroadcastChannel there), a stock y-webrtc peer's
 * has no lines, and a publisher's lines may all be taken.
 *
 * States: requesting → playing; failed → requesting again after a pause; stopped (final).
 */
import type { SignalData } from 'simple-peer/simplepeer.min.js';
import { MediaPeer } from './media-peer.js';
import { readSpeakingMessage } from './speech.js';
import type { LineLink, LineMessage } from './line-link.js';

export type PlayerState = 'requesting' | 'playing' | 'failed' | 'stopped';

export interface PlayerOptions {
  streamId: string;
  peerOpts: Record<string, unknown>;
  /**
   * The data connection to the publisher if media can go on it now; 'wait' while one may still
   * come up (a room's data connections are being made); null: go over the relay.
   */
  route(): LineLink | 'wait' | null;
  /** Sends a signal of this player's to the publisher over the relay (`conn` names the attempt). */
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
/**
 * How long a request waits for the data connection to the publisher before it goes over the
 * relay instead. A stream is often seen (its publisher's awareness, passed on by another
 * member) before that connection is open: six members entering together open theirs 1–5 s
 * after entering on a 2-core machine (BENCHMARKS.md "Media on the data connections"), and a
 * media connection of its own would take longer than the wait.
 */
const LINK_WAIT_MS = 5000;

let attempts = 0;

/** A fresh id for an attempt: signals of any other are stale. */
function newConn(): string {
  return `${(++attempts).toString(36)}-${Math.random().toString(36).slice(2, 10)}`;
}

export class Player {
  readonly stream = new MediaStream();
  readonly streamId: string;
  readonly #options: PlayerOptions;
  #state: PlayerState = 'requesting';
  #conn = '';
  #peer: MediaPeer | null = null;
  /** The attempt's data connection, when it goes on a line. */
  #link: LineLink | null = null;
  #unwatchLink: () => void = () => {};
  /** Since when the attempt has waited for a data connection. */
  #waitingSince: number | null = null;
  #waitTimer: ReturnType<typeof setTimeout> | undefined;
  /** The publisher had no line free: this player goes over the relay from now on. */
  #relayOnly = false;
  /** The line's receivers while playing on one, for stats(). */
  #lineReceivers: RTCRtpReceiver[] = [];
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

  /** The connection the stream comes over (the data connection's, shared, when on a line). */
  get peerConnection(): RTCPeerConnection | null {
    return this.#peer?.peerConnection ?? this.#link?.pc ?? null;
  }

  /** The stream's own receive statistics (on a shared connection, of its line only). */
  stats(): Promise<RTCStatsReport | Map<string, unknown>> | null {
    if (this.#peer) return this.#peer.peerConnection.getStats();
    const receivers = this.#lineReceivers;
    if (!this.#link || receivers.length === 0) return null;
    return Promise.all(receivers.map((receiver) => receiver.getStats())).then((reports) => {
      const merged = new Map<string, unknown>();
      for (const report of reports) report.forEach((value, key) => merged.set(key, value));
      return merged;
    });
  }

  /** The room's data connections changed: a request waiting for one looks again. */
  routesChanged(): void {
    if (this.#waitingSince !== null) this.#ask();
  }

  /** A control message from the publisher on a data connection; one for another attempt is dropped. */
  receiveLine(link: LineLink, message: Exclude<LineMessage, { t: 'hello' | 'play' | 'stop' }>): void {
    if (link !== this.#link || message.conn !== this.#conn || this.#state === 'stopped') return;
    if (message.t === 'speaking') return this.#setSpeaking(message.on);
    if (message.t === 'refuse') {
      if (message.code !== 'no-line') return this.#fail(`refused: ${message.code}`);
      // The publisher's line is taken: this stream comes on a connection of its own, asked for
      // under a new id (nothing is left of this one at the publisher to stop).
      this.#relayOnly = true;
      this.#dropLink();
      this.#conn = newConn();
      return this.#ask();
    }
    const line = link.receivingLine(message.line);
    if (!line) return this.#fail('bad-line');
    const receivers = [...(message.audio ? [line.audio.receiver] : []), ...(message.video ? [line.video.receiver] : [])];
    this.#lineReceivers = receivers;
    this.#options.trace?.('media-line', { line: message.line });
    // Clones: stopping them (stop(), a later attempt) leaves the line's own tracks alive for
    // whatever stream it carries next.
    this.#adopt(receivers.map((receiver) => receiver.track.clone()));
    this.#options.connected?.();
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
    clearTimeout(this.#waitTimer);
    for (const track of this.stream.getTracks()) {
      track.stop();
      this.stream.removeTrack(track);
    }
    this.#setState('stopped', reason);
  }

  #request(): void {
    this.#conn = newConn();
    this.#setState('requesting', this.#retryDelayMs === RETRY_FIRST_MS ? 'play' : 'retry');
    clearTimeout(this.#timer);
    this.#timer = setTimeout(() => this.#fail('timeout'), CONNECT_TIMEOUT_MS);
    this.#waitingSince = performance.now();
    this.#ask();
  }

  /** Sends the attempt's request whichever way it can go now, or waits for a data connection. */
  #ask(): void {
    clearTimeout(this.#waitTimer);
    const route = this.#relayOnly ? null : this.#options.route();
    const waited = performance.now() - (this.#waitingSince ?? 0);
    if (route === 'wait' && waited < LINK_WAIT_MS) {
      this.#waitTimer = setTimeout(() => this.#ask(), LINK_WAIT_MS - waited);
      return;
    }
    this.#waitingSince = null;
    if (route && route !== 'wait' && route.send({ t: 'play', stream: this.streamId, conn: this.#conn })) {
      const link = route;
      this.#link = link;
      this.#unwatchLink = link.onClose(() => {
        if (this.#link === link) this.#fail('link-closed');
      });
      this.#options.trace?.('play-sent', { conn: this.#conn, line: true });
      return;
    }
    this.#options.send({ t: 'play' }, this.#conn);
    this.#options.trace?.('play-sent', { conn: this.#conn });
  }

  /** The attempt's connection, made when the publisher's offer arrives. */
  #connection(conn: string): MediaPeer {
    const peer: MediaPeer = new MediaPeer({
      peerOpts: this.#options.peerOpts,
      trace: this.#options.trace,
      signal: (data) => this.#options.send({ t: 'signal', data }, conn),
      onStream: (remote) => this.#adopt(remote.getTracks()),
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

  #adopt(tracks: MediaStreamTrack[]): void {
    clearTimeout(this.#timer);
    // Swap the tracks inside the stream the caller holds: old out, then new in (Chromium's
    // <video> follows a stream's track changes in that order; with both in, it keeps the old).
    // The old ones are done with: their connection is closed, or they are clones of a line's.
    for (const track of this.stream.getTracks()) {
      this.stream.removeTrack(track);
      track.stop();
    }
    for (const track of tracks) this.stream.addTrack(track);
    this.#retryDelayMs = RETRY_FIRST_MS;
    this.#setState('playing', 'connected');
  }

  #fail(reason: string): void {
    if (this.#state === 'stopped') return;
    this.#closePeer();
    clearTimeout(this.#timer);
    clearTimeout(this.#waitTimer);
    this.#waitingSince = null;
    this.#options.trace?.('play-failed', { reason });
    this.#setState('failed', reason);
    const delay = this.#retryDelayMs;
    this.#retryDelayMs = Math.min(delay * 2, RETRY_MAX_MS);
    this.#timer = setTimeout(() => this.#request(), delay);
  }

  /** Ends the attempt's connection: its own is closed, a data connection's line is let go. */
  #closePeer(): void {
    const peer = this.#peer;
    this.#peer = null;
    peer?.close();
    this.#dropLink()?.send({ t: 'stop', stream: this.streamId, conn: this.#conn });
    this.#setSpeaking(false);
  }

  /** Lets go of the attempt's data connection, if it had one; returns it. */
  #dropLink(): LineLink | null {
    const link = this.#link;
    this.#link = null;
    this.#unwatchLink();
    this.#unwatchLink = () => {};
    this.#lineReceivers = [];
    return link;
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
