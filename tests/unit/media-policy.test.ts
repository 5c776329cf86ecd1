import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { AUDIO_BITRATE_BPS, DEFAULT_UPLOAD_BUDGET_BPS, encodingFor, planEncodings, sameEncoding, type OutgoingCopy, type VideoEncoding } from '../../src/lib/media/encoding-policy.js';
import { SETTLE_MAX_MS, SETTLING_FRAMERATE, UploadBudget } from '../../src/lib/media/upload-budget.js';
import { classifyQuality } from '../../src/lib/media/quality.js';
import { SpeakingDetector, SpeechWatcher, type AudioEnergy, type SendingAudio } from '../../src/lib/media/speech.js';

const camera: OutgoingCopy = { kind: 'camera', hasVideo: true, hasAudio: true, sourceHeight: 720 };
const screen: OutgoingCopy = { kind: 'screen', hasVideo: true, hasAudio: false, sourceHeight: 1080 };

function totalBps(copies: OutgoingCopy[], budget = DEFAULT_UPLOAD_BUDGET_BPS): number {
  const video = planEncodings(copies, budget).reduce((sum, encoding) => sum + (encoding?.maxBitrate ?? 0), 0);
  return video + copies.filter((copy) => copy.hasAudio).length * AUDIO_BITRATE_BPS;
}

describe('upload budget [R-5]: the number of receivers sets each copy’s encoding', () => {
  it('keeps the total upload within the budget as the mesh grows', () => {
    for (let receivers = 1; receivers <= 8; receivers++) {
      expect(totalBps(Array(receivers).fill(camera))).toBeLessThanOrEqual(DEFAULT_UPLOAD_BUDGET_BPS);
    }
  });

  it('lowers resolution and frame rate as receivers are added, never below 15 fps for a camera', () => {
    const plans = [1, 2, 3, 5, 8].map((receivers) => planEncodings(Array(receivers).fill(camera))[0]!);
    for (let i = 1; i < plans.length; i++) {
      expect(plans[i].maxBitrate).toBeLessThan(plans[i - 1].maxBitrate);
      expect(plans[i].scaleResolutionDownBy).toBeGreaterThanOrEqual(plans[i - 1].scaleResolutionDownBy);
      expect(plans[i].maxFramerate).toBeLessThanOrEqual(plans[i - 1].maxFramerate);
    }
    expect(plans[0]).toEqual({ maxBitrate: DEFAULT_UPLOAD_BUDGET_BPS - AUDIO_BITRATE_BPS, maxFramerate: 30, scaleResolutionDownBy: 1 });
    expect(plans.at(-1)!.maxFramerate).toBeGreaterThanOrEqual(15);
  });

  it('gives a five-receiver camera (a six-person room) a small picture at 20 fps (what two cores can encode five times)', () => {
    expect(planEncodings(Array(5).fill(camera))[0]).toEqual({ maxBitrate: 460_000, maxFramerate: 20, scaleResolutionDownBy: 4 });
  });

  it('weighs a screen share double and keeps its resolution', () => {
    const [cameraCopy, screenCopy] = planEncodings([camera, screen]);
    expect(screenCopy!.maxBitrate).toBeCloseTo(2 * cameraCopy!.maxBitrate, -3);
    expect(screenCopy!.scaleResolutionDownBy).toBe(1);
  });

  it('leaves audio-only copies alone and never scales a small source up', () => {
    expect(planEncodings([{ kind: 'audio', hasVideo: false, hasAudio: true, sourceHeight: 0 }])).toEqual([null]);
    expect(encodingFor({ kind: 'camera', sourceHeight: 240 }, 2_000_000).scaleResolutionDownBy).toBe(1);
  });

  it('follows a bigger budget', () => {
    const small = planEncodings(Array(4).fill(camera), 1_000_000)[0]!;
    const big = planEncodings(Array(4).fill(camera), 8_000_000)[0]!;
    expect(big.maxBitrate).toBeGreaterThan(small.maxBitrate);
    expect(big.scaleResolutionDownBy).toBeLessThan(small.scaleResolutionDownBy);
  });
});

describe('connection quality', () => {
  it('grades round trip, loss and frame rate', () => {
    expect(classifyQuality(20, 0, 30)).toBe('good');
    expect(classifyQuality(null, 0, null)).toBe('good');
    expect(classifyQuality(250, 0, 30)).toBe('fair');
    expect(classifyQuality(20, 5, 30)).toBe('fair');
    expect(classifyQuality(20, 0, 10)).toBe('fair');
    expect(classifyQuality(20, 12, 30)).toBe('poor');
    expect(classifyQuality(600, 0, 30)).toBe('poor');
  });
});

describe('speaking indicator [R-53]', () => {
  /** Feeds one 250 ms interval whose audio had this RMS level; returns the verdict. */
  function feed(detector: SpeakingDetector, totals: { energy: number; duration: number; now: number }, rms: number): boolean {
    totals.energy += rms * rms * 0.25;
    totals.duration += 0.25;
    totals.now += 250;
    return detector.update({ totalAudioEnergy: totals.energy, totalSamplesDuration: totals.duration }, totals.now);
  }

  it('catches a sound shorter than the interval between two looks', () => {
    const detector = new SpeakingDetector();
    const totals = { energy: 0, duration: 0, now: 0 };
    feed(detector, totals, 0);
    // A 20 ms beep at full scale inside a 250 ms interval: RMS over the interval ~0.28.
    totals.energy += 1 * 0.02;
    expect(feed(detector, totals, 0)).toBe(true);
  });

  it('stays on through short gaps between words, and goes off after a longer silence', () => {
    const detector = new SpeakingDetector();
    const totals = { energy: 0, duration: 0, now: 0 };
    feed(detector, totals, 0);
    expect(feed(detector, totals, 0.2)).toBe(true);
    expect(feed(detector, totals, 0)).toBe(true); // 250 ms quiet: a gap
    expect(feed(detector, totals, 0)).toBe(true);
    expect(feed(detector, totals, 0)).toBe(false); // 750 ms since the last loud interval
    // Soft speech after a loud start keeps it on for as long as it lasts.
    expect(feed(detector, totals, 0.2)).toBe(true);
    for (let i = 0; i < 6; i++) expect(feed(detector, totals, 0.03)).toBe(true);
    expect(feed(detector, totals, 0.01)).toBe(false);
  });

  it('counts an interval with no new audio (a muted sender) as quiet, and ignores background noise', () => {
    const detector = new SpeakingDetector();
    const totals = { energy: 0, duration: 0, now: 0 };
    feed(detector, totals, 0.01);
    for (let i = 0; i < 8; i++) expect(feed(detector, totals, 0.01)).toBe(false);
    expect(feed(detector, totals, 0.5)).toBe(true);
    for (let i = 0; i < 4; i++) {
      totals.now += 250; // counters unchanged: nothing arrived
      detector.update({ totalAudioEnergy: totals.energy, totalSamplesDuration: totals.duration }, totals.now);
    }
    expect(detector.speaking).toBe(false);
  });
});

describe('speaking measured at the source [R-53]', () => {
  /** A fake microphone as one sender's stats see it: `rms` is what it hears from now on. */
  function microphone() {
    const counters = { totalAudioEnergy: 0, totalSamplesDuration: 0 };
    const mic = { rms: 0, reads: 0, sender: {} as RTCRtpSender };
    setInterval(() => {
      counters.totalAudioEnergy += mic.rms * mic.rms * 0.05;
      counters.totalSamplesDuration += 0.05;
    }, 50);
    const read = async () => {
      mic.reads++;
      return { ...counters };
    };
    return { mic, read };
  }

  function watch(sending: () => SendingAudio[], read: (sender: RTCRtpSender) => Promise<AudioEnergy | null>) {
    const changes: string[] = [];
    const watcher = new SpeechWatcher(sending, (streamId, speaking) => changes.push(`${streamId} ${speaking ? 'on' : 'off'}`), read);
    return { watcher, changes };
  }

  beforeEach(() => vi.useFakeTimers({ toFake: ['setInterval', 'clearInterval', 'setTimeout', 'clearTimeout', 'performance'] }));
  afterEach(() => vi.useRealTimers());

  it('turns on with speech, off after a silence, and says so once each', async () => {
    const { mic, read } = microphone();
    const { watcher, changes } = watch(() => [{ streamId: 'cam', sender: mic.sender }], read);
    await vi.advanceTimersByTimeAsync(1000);
    expect(changes).toEqual([]);
    mic.rms = 0.3;
    await vi.advanceTimersByTimeAsync(1000);
    expect(changes).toEqual(['cam on']);
    mic.rms = 0;
    await vi.advanceTimersByTimeAsync(2000);
    expect(changes).toEqual(['cam on', 'cam off']);
    watcher.stop();
  });

  it('counts a stream nobody plays any more as quiet, and reads nothing for it', async () => {
    const { mic, read } = microphone();
    let sending: SendingAudio[] = [{ streamId: 'cam', sender: mic.sender }];
    const { watcher, changes } = watch(() => sending, read);
    mic.rms = 0.3;
    await vi.advanceTimersByTimeAsync(1000);
    expect(changes).toEqual(['cam on']);
    sending = [];
    await vi.advanceTimersByTimeAsync(300);
    expect(changes).toEqual(['cam on', 'cam off']);
    const reads = mic.reads;
    await vi.advanceTimersByTimeAsync(1000);
    expect(mic.reads).toBe(reads);
    watcher.stop();
  });

  it('keeps its verdict when another connection carries the microphone, and stops for good', async () => {
    const first = microphone();
    const second = microphone();
    let sender = first.mic.sender;
    const { watcher, changes } = watch(
      () => [{ streamId: 'cam', sender }],
      (asked) => (asked === first.mic.sender ? first.read() : second.read()),
    );
    first.mic.rms = second.mic.rms = 0.3;
    await vi.advanceTimersByTimeAsync(1000);
    sender = second.mic.sender; // the first player left; the second one's counters started later
    await vi.advanceTimersByTimeAsync(1000);
    expect(changes).toEqual(['cam on']);
    watcher.stop();
    first.mic.rms = second.mic.rms = 0;
    await vi.advanceTimersByTimeAsync(2000);
    expect(changes).toEqual(['cam on']);
  });

  it('never piles up looks behind a slow getStats', async () => {
    const { mic, read } = microphone();
    let pending = 0;
    let most = 0;
    const slow = async () => {
      most = Math.max(most, ++pending);
      await new Promise((resolve) => setTimeout(resolve, 1000));
      pending--;
      return read();
    };
    const { watcher } = watch(() => [{ streamId: 'cam', sender: mic.sender }], slow);
    await vi.advanceTimersByTimeAsync(5000);
    expect(most).toBe(1);
    expect(mic.reads).toBeGreaterThanOrEqual(4);
    watcher.stop();
  });
});

describe('settling: copies go slow while connections are still being made', () => {
  /** A camera copy that records what the budget gave it. */
  function copy() {
    const applied: (VideoEncoding | null)[] = [];
    return { applied, describe: () => camera, apply: (encoding: VideoEncoding | null) => void applied.push(encoding) };
  }
  const fps = (c: ReturnType<typeof copy>) => c.applied.at(-1)?.maxFramerate;

  beforeEach(() => vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout', 'queueMicrotask', 'performance'] }));
  afterEach(() => vi.useRealTimers());

  it('holds connected copies at the settling rate until every connection is made', async () => {
    const budget = new UploadBudget();
    const [first, second] = [copy(), copy()];
    budget.add(first);
    await vi.advanceTimersByTimeAsync(0);
    expect(fps(first)).toBe(SETTLING_FRAMERATE);
    budget.settled(first);
    await vi.advanceTimersByTimeAsync(0);
    expect(fps(first)).toBe(30); // alone and connected: the plan's own rate
    budget.add(second);
    const player = {};
    budget.connecting(player);
    await vi.advanceTimersByTimeAsync(0);
    expect([fps(first), fps(second)]).toEqual([SETTLING_FRAMERATE, SETTLING_FRAMERATE]);
    budget.settled(second);
    await vi.advanceTimersByTimeAsync(0);
    expect(fps(first)).toBe(SETTLING_FRAMERATE); // the player still connecting
    budget.settled(player);
    await vi.advanceTimersByTimeAsync(0);
    expect([fps(first), fps(second)]).toEqual([30, 30]);
  });

  it('lets go after SETTLE_MAX_MS when a connection never comes up', async () => {
    const budget = new UploadBudget();
    const sending = copy();
    budget.add(sending);
    budget.settled(sending);
    budget.connecting({}); // a player whose publisher cannot be reached
    await vi.advanceTimersByTimeAsync(0);
    expect(fps(sending)).toBe(SETTLING_FRAMERATE);
    await vi.advanceTimersByTimeAsync(SETTLE_MAX_MS + 10);
    expect(fps(sending)).toBe(30);
  });

  it('does not slow the others down for a retry', async () => {
    const budget = new UploadBudget();
    const sending = copy();
    budget.add(sending);
    budget.settled(sending);
    budget.add(copy(), false); // the same player served again after its connection failed
    await vi.advanceTimersByTimeAsync(0);
    expect(fps(sending)).toBe(30);
  });

  it('tells an unchanged encoding (left alone: getParameters waits on WebRTC threads) from a changed one', () => {
    const planned = encodingFor(camera, 460_000);
    expect(sameEncoding(planned, { ...planned })).toBe(true);
    expect(sameEncoding(planned, { ...planned, maxFramerate: SETTLING_FRAMERATE })).toBe(false);
    expect(sameEncoding(null, null)).toBe(true);
    expect(sameEncoding(planned, null)).toBe(false);
  });
});
