/**
 * What the UI shows about each remote member's media: a speaking indicator (audio level) and
 * connection quality (round trip, loss, frame rate), both from getStats().
 *
 * Speaking is judged on the mean audio power since the last look (the receiver's
 * totalAudioEnergy / totalSamplesDuration), not on a sampled level: a sampled level
 * (getSynchronizationSources) only shows the newest 20 ms packet, so a short sound between two
 * looks is missed — a word's onset, or Chromium's fake microphone, whose 20 ms beep every
 * half second was missed for ten seconds at a time.
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

const LEVEL_EVERY_MS = 250;
const STATS_EVERY_MS = 2000;
/** RMS level (0–1, linear, as RTCRtpSynchronizationSource.audioLevel) above which someone is speaking, and below which they stopped. */
const SPEAKING_ON = 0.05;
const SPEAKING_OFF = 0.02;
/** Quiet this long before the indicator goes off: words have gaps. */
const SPEAKING_HOLD_MS = 600;

/** Cumulative audio counters of one receiver (inbound-rtp stats). */
export interface AudioEnergy {
  totalAudioEnergy: number;
  totalSamplesDuration: number;
}

/**
 * Speaking or not, from successive cumulative audio counters: the RMS level over each interval,
 * with hysteresis (on above SPEAKING_ON, off below SPEAKING_OFF after SPEAKING_HOLD_MS quiet).
 */
export class SpeakingDetector {
  #previous: AudioEnergy | null = null;
  #lastLoud = -Infinity;
  speaking = false;

  /** Feeds the counters read at `now` (ms); returns whether the member is speaking. */
  update(counters: AudioEnergy, now: number): boolean {
    const previous = this.#previous;
    this.#previous = counters;
    if (!previous) return this.speaking;
    const duration = counters.totalSamplesDuration - previous.totalSamplesDuration;
    // No new audio (muted sender, or a counter reset): treat as quiet.
    const level = duration > 0 ? Math.sqrt(Math.max(0, counters.totalAudioEnergy - previous.totalAudioEnergy) / duration) : 0;
    if (level >= SPEAKING_ON) this.#lastLoud = now;
    this.speaking = level >= SPEAKING_ON || (this.speaking && (level >= SPEAKING_OFF || now - this.#lastLoud < SPEAKING_HOLD_MS));
    return this.speaking;
  }
}

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
  readonly #speech = new WeakMap<RTCPeerConnection, SpeakingDetector>();
  readonly #counters = new WeakMap<RTCPeerConnection, Counters>();
  readonly #timers: ReturnType<typeof setInterval>[];

  constructor(roomId: string, playing: () => PlayingConnection[], onSpeaking: (event: SpeakingEvent) => void, onQuality: (event: ConnectionQualityEvent) => void) {
    this.#roomId = roomId;
    this.#playing = playing;
    this.#onSpeaking = onSpeaking;
    this.#onQuality = onQuality;
    this.#timers = [setInterval(() => void this.#checkLevels(), LEVEL_EVERY_MS), setInterval(() => void this.#checkStats(), STATS_EVERY_MS)];
  }

  stop(): void {
    for (const timer of this.#timers) clearInterval(timer);
  }

  async #checkLevels(): Promise<void> {
    for (const { memberId, streamId, peerConnection } of this.#playing()) {
      const receiver = peerConnection.getReceivers().find((candidate) => candidate.track.kind === 'audio');
      if (!receiver) continue;
      let counters: AudioEnergy | undefined;
      try {
        (await receiver.getStats()).forEach((stats: Record<string, unknown>) => {
          if (stats.type === 'inbound-rtp' && typeof stats.totalAudioEnergy === 'number' && typeof stats.totalSamplesDuration === 'number') {
            counters = { totalAudioEnergy: stats.totalAudioEnergy, totalSamplesDuration: stats.totalSamplesDuration };
          }
        });
      } catch {
        continue; // closed meanwhile
      }
      if (!counters) continue; // no audio has arrived yet
      let detector = this.#speech.get(peerConnection);
      if (!detector) this.#speech.set(peerConnection, (detector = new SpeakingDetector()));
      const wasSpeaking = detector.speaking;
      if (detector.update(counters, performance.now()) !== wasSpeaking) this.#onSpeaking({ roomId: this.#roomId, memberId, streamId, speaking: detector.speaking });
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
