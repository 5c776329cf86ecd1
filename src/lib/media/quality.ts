/**
 * Connection quality per played stream (round trip, loss, frame rate) from getStats(), every
 * two seconds: what the UI shows next to a remote picture. The speaking indicator is
 * measured by each stream's publisher instead (speech.ts).
 */

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
  /** What the counters of the last report are kept under (the player). */
  source: object;
  /** The stream's receive statistics, with the connection's candidate pair; null when gone. */
  stats(): Promise<RTCStatsReport | Map<string, unknown>> | null;
}

const STATS_EVERY_MS = 2000;

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
  readonly #onQuality: (event: ConnectionQualityEvent) => void;
  readonly #counters = new WeakMap<object, Counters>();
  readonly #timer: ReturnType<typeof setInterval>;

  constructor(roomId: string, playing: () => PlayingConnection[], onQuality: (event: ConnectionQualityEvent) => void) {
    this.#roomId = roomId;
    this.#playing = playing;
    this.#onQuality = onQuality;
    this.#timer = setInterval(() => void this.#checkStats(), STATS_EVERY_MS);
  }

  stop(): void {
    clearInterval(this.#timer);
  }

  async #checkStats(): Promise<void> {
    for (const { memberId, streamId, source, stats } of this.#playing()) {
      let report: RTCStatsReport | Map<string, unknown>;
      try {
        const pending = stats();
        if (!pending) continue;
        report = await pending;
      } catch {
        continue; // closed meanwhile
      }
      let rttMs: number | null = null;
      let framesPerSecond: number | null = null;
      const totals: Counters = { lost: 0, received: 0 };
      report.forEach((value: unknown) => {
        const stats = value as Record<string, unknown>;
        if (stats.type === 'candidate-pair' && stats.nominated && typeof stats.currentRoundTripTime === 'number') rttMs = stats.currentRoundTripTime * 1000;
        if (stats.type !== 'inbound-rtp') return;
        totals.lost += Math.max(0, Number(stats.packetsLost ?? 0));
        totals.received += Number(stats.packetsReceived ?? 0);
        if (stats.kind === 'video' && typeof stats.framesPerSecond === 'number') framesPerSecond = stats.framesPerSecond;
      });
      const previous = this.#counters.get(source) ?? { lost: 0, received: 0 };
      this.#counters.set(source, totals);
      const lost = totals.lost - previous.lost;
      const expected = lost + (totals.received - previous.received);
      const lossPercent = expected > 0 ? Math.round((lost / expected) * 1000) / 10 : 0;
      this.#onQuality({ roomId: this.#roomId, memberId, streamId, quality: classifyQuality(rttMs, lossPercent, framesPerSecond), rttMs, lossPercent, framesPerSecond });
    }
  }
}
