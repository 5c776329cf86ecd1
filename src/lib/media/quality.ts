/**
 * What the UI shows about each remote member's media: a speaking indicator (audio level) and
 * connection quality (round trip, loss, frame rate). Audio levels come from
 * RTCRtpReceiver.getSynchronizationSources(), which is cheap enough to ask five times a second;
 * the rest from getStats() every two seconds.
 */

export interface SpeakingEvent {
  roomId: string;
  memberId: string;
  streamId: string;
  speaking: boolean;
}

export type QualityLevel = 'good' | 'fair' | 'poor';

export interface ConnectionQualityEvent {
  roomId: string;
  memberId: string;
  streamId: string;
  quality: QualityLevel;
  /** Round trip of the connection's ICE pair. */
  rttMs: number | null;
  /** Packets lost of those expected since the last report, audio and video together. */
  lossPercent: number;
  /** Decoded video frames per second (null without video). */
  framesPerSecond: number | null;
}

export interface PlayingConnection {
  memberId: string;
  streamId: string;
  peerConnection: RTCPeerConnection;
}

const LEVEL_EVERY_MS = 200;
const STATS_EVERY_MS = 2000;
/** Audio level (0–1, linear) above which someone is speaking, and below which they stopped. */
const SPEAKING_ON = 0.05;
const SPEAKING_OFF = 0.02;
/** Quiet this long before the indicator goes off: words have gaps. */
const SPEAKING_HOLD_MS = 600;

export function classifyQuality(rttMs: number | null, lossPercent: number, framesPerSecond: number | null): QualityLevel {
  if (lossPercent > 8 || (rttMs ?? 0) > 400 || (framesPerSecond !== null && framesPerSecond < 8)) return 'poor';
  if (lossPercent > 2 || (rttMs ?? 0) > 200 || (framesPerSecond !== null && framesPerSecond < 15)) return 'fair';
  return 'good';
}

interface Counters {
  lost: number;
  received: number;
}

export class MediaStatsWatcher {
  readonly #roomId: string;
  readonly #playing: () => PlayingConnection[];
  readonly #onSpeaking: (event: SpeakingEvent) => void;
  readonly #onQuality: (event: ConnectionQualityEvent) => void;
  /** Keyed by peer connection: when each was last loud, and whether it is shown speaking. */
  readonly #speech = new WeakMap<RTCPeerConnection, { lastLoud: number; speaking: boolean }>();
  readonly #counters = new WeakMap<RTCPeerConnection, Counters>();
  readonly #timers: ReturnType<typeof setInterval>[];

  constructor(roomId: string, playing: () => PlayingConnection[], onSpeaking: (event: SpeakingEvent) => void, onQuality: (event: ConnectionQualityEvent) => void) {
    this.#roomId = roomId;
    this.#playing = playing;
    this.#onSpeaking = onSpeaking;
    this.#onQuality = onQuality;
    this.#timers = [setInterval(() => this.#checkLevels(), LEVEL_EVERY_MS), setInterval(() => void this.#checkStats(), STATS_EVERY_MS)];
  }

  stop(): void {
    for (const timer of this.#timers) clearInterval(timer);
  }

  #checkLevels(): void {
    const now = performance.now();
    for (const { memberId, streamId, peerConnection } of this.#playing()) {
      const receiver = peerConnection.getReceivers().find((candidate) => candidate.track.kind === 'audio');
      if (!receiver) continue;
      const level = Math.max(0, ...receiver.getSynchronizationSources().map((source) => source.audioLevel ?? 0));
      const speech = this.#speech.get(peerConnection) ?? { lastLoud: -Infinity, speaking: false };
      this.#speech.set(peerConnection, speech);
      if (level >= SPEAKING_ON) speech.lastLoud = now;
      const speaking = level >= SPEAKING_ON || (speech.speaking && (level >= SPEAKING_OFF || now - speech.lastLoud < SPEAKING_HOLD_MS));
      if (speaking !== speech.speaking) {
        speech.speaking = speaking;
        this.#onSpeaking({ roomId: this.#roomId, memberId, streamId, speaking });
      }
    }
  }

  async #checkStats(): Promise<void> {
    for (const { memberId, streamId, peerConnection } of this.#playing()) {
      let report: RTCStatsReport;
      try {
        report = await peerConnection.getStats();
      } catch {
        continue; // closed meanwhile
      }
      let rttMs: number | null = null;
      let framesPerSecond: number | null = null;
      const totals: Counters = { lost: 0, received: 0 };
      report.forEach((stats: Record<string, unknown>) => {
        if (stats.type === 'candidate-pair' && stats.nominated && typeof stats.currentRoundTripTime === 'number') rttMs = stats.currentRoundTripTime * 1000;
        if (stats.type !== 'inbound-rtp') return;
        totals.lost += Math.max(0, Number(stats.packetsLost ?? 0));
        totals.received += Number(stats.packetsReceived ?? 0);
        if (stats.kind === 'video' && typeof stats.framesPerSecond === 'number') framesPerSecond = stats.framesPerSecond;
      });
      const previous = this.#counters.get(peerConnection) ?? { lost: 0, received: 0 };
      this.#counters.set(peerConnection, totals);
      const lost = totals.lost - previous.lost;
      const expected = lost + (totals.received - previous.received);
      const lossPercent = expected > 0 ? Math.round((lost / expected) * 1000) / 10 : 0;
      this.#onQuality({ roomId: this.#roomId, memberId, streamId, quality: classifyQuality(rttMs, lossPercent, framesPerSecond), rttMs, lossPercent, framesPerSecond });
    }
  }
}
