/**
 * The speaking indicator [R-53], judged where the sound is made: a publisher measures each
 * microphone it publishes and tells the members playing it, over the data channel every media
 * connection has anyway (simple-peer opens one); a player only reads what it is told.
 *
 * Why not measure each stream where it arrives: a receiver's level comes from getStats(), and
 * Chromium collects a connection's whole report for every call, on the threads that also set
 * connections up. A member playing five streams polled five reports four times a second, and
 * six members entering together took about half as long again to see every picture as with no
 * polling at all (BENCHMARKS.md "Media"). At the source it is one report per published
 * microphone, however many members play it. Why not in the awareness state: y-webrtc passes
 * every awareness change on from each member to all the others, thirty messages for one change
 * in a room of six, each decoded and compared on every page.
 *
 * Speaking is judged on the mean audio power since the last look (the media-source stats'
 * totalAudioEnergy / totalSamplesDuration), not on a sampled level: a sampled level shows only
 * the newest 20 ms, so a short sound between two looks is missed — a word's onset, or
 * Chromium's fake microphone, whose beep was missed for ten seconds at a time.
 */

export interface SpeakingEvent {
  roomId: string;
  memberId: string;
  streamId: string;
  speaking: boolean;
}

const LEVEL_EVERY_MS = 250;
/** RMS level (0–1, linear, as RTCRtpSynchronizationSource.audioLevel) above which someone is speaking, and below which they stopped. */
const SPEAKING_ON = 0.05;
const SPEAKING_OFF = 0.02;
/** Quiet this long before the indicator goes off: words have gaps. */
const SPEAKING_HOLD_MS = 600;

/** Cumulative audio counters of one microphone as one connection sends it (media-source stats). */
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
    // No new audio (a muted track, or a counter reset): treat as quiet.
    const level = duration > 0 ? Math.sqrt(Math.max(0, counters.totalAudioEnergy - previous.totalAudioEnergy) / duration) : 0;
    if (level >= SPEAKING_ON) this.#lastLoud = now;
    this.speaking = level >= SPEAKING_ON || (this.speaking && (level >= SPEAKING_OFF || now - this.#lastLoud < SPEAKING_HOLD_MS));
    return this.speaking;
  }
}

/** What a publisher tells a player over their media connection. */
export function speakingMessage(speaking: boolean): string {
  return JSON.stringify({ t: 'speaking', on: speaking });
}

/** The verdict in a publisher's message, or null for anything else (peer input: never trusted further). */
export function readSpeakingMessage(text: string): boolean | null {
  if (text.length > 64) return null;
  try {
    const message: unknown = JSON.parse(text);
    if (typeof message !== 'object' || message === null) return null;
    const { t, on } = message as Record<string, unknown>;
    return t === 'speaking' && typeof on === 'boolean' ? on : null;
  } catch {
    return null;
  }
}

/** A published stream's microphone and one sender that carries it to a player. */
export interface SendingAudio {
  streamId: string;
  sender: RTCRtpSender;
}

/** The microphone's counters as the sender's connection measures them, or null before any. */
export async function sourceEnergy(sender: RTCRtpSender): Promise<AudioEnergy | null> {
  let counters: AudioEnergy | null = null;
  (await sender.getStats()).forEach((stats: Record<string, unknown>) => {
    if (stats.type === 'media-source' && typeof stats.totalAudioEnergy === 'number' && typeof stats.totalSamplesDuration === 'number') {
      counters = { totalAudioEnergy: stats.totalAudioEnergy, totalSamplesDuration: stats.totalSamplesDuration };
    }
  });
  return counters;
}

/**
 * Watches a room's published microphones while somebody plays them. A stream nobody plays is
 * not measured (there is no connection to read, and nobody would hear it): it counts as quiet.
 */
export class SpeechWatcher {
  readonly #sending: () => SendingAudio[];
  readonly #changed: (streamId: string, speaking: boolean) => void;
  readonly #read: (sender: RTCRtpSender) => Promise<AudioEnergy | null>;
  /** Per stream: the sender read last time, and the verdict so far. */
  readonly #watched = new Map<string, { sender: RTCRtpSender; detector: SpeakingDetector }>();
  readonly #timer: ReturnType<typeof setInterval>;
  #checking = false;
  #stopped = false;

  constructor(sending: () => SendingAudio[], changed: (streamId: string, speaking: boolean) => void, read = sourceEnergy) {
    this.#sending = sending;
    this.#changed = changed;
    this.#read = read;
    this.#timer = setInterval(() => void this.#check(), LEVEL_EVERY_MS);
  }

  stop(): void {
    this.#stopped = true;
    clearInterval(this.#timer);
  }

  async #check(): Promise<void> {
    // getStats() can take longer than the interval on a busy page: never pile up looks.
    if (this.#checking) return;
    this.#checking = true;
    try {
      const sending = this.#sending();
      const present = new Set(sending.map(({ streamId }) => streamId));
      for (const [streamId, { detector }] of this.#watched) {
        if (present.has(streamId)) continue;
        this.#watched.delete(streamId);
        if (detector.speaking) this.#changed(streamId, false);
      }
      for (const { streamId, sender } of sending) await this.#look(streamId, sender);
    } finally {
      this.#checking = false;
    }
  }

  async #look(streamId: string, sender: RTCRtpSender): Promise<void> {
    let watched = this.#watched.get(streamId);
    if (watched?.sender !== sender) {
      // Another connection's counters started elsewhere: begin again, keeping the verdict.
      const detector = new SpeakingDetector();
      detector.speaking = watched?.detector.speaking ?? false;
      watched = { sender, detector };
      this.#watched.set(streamId, watched);
    }
    let counters: AudioEnergy | null;
    try {
      counters = await this.#read(sender);
    } catch {
      return; // closed meanwhile
    }
    if (!counters || this.#stopped || this.#watched.get(streamId) !== watched) return;
    const { detector } = watched;
    const was = detector.speaking;
    if (detector.update(counters, performance.now()) !== was) this.#changed(streamId, detector.speaking);
  }
}
