/**
 * The play forecast: the upload budget plans for the members about to play a stream, so
 * each copy starts at the share it keeps instead of being re-planned (a new picture size, a
 * new key frame) as every receiver arrives.
 */
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { planEncodings, type OutgoingCopy, type VideoEncoding } from '../../src/lib/media/encoding-policy.js';
import { PLAY_EXPECTED_WITHIN_MS, comingCopies, type Audience, type ForecastStream } from '../../src/lib/media/play-forecast.js';
import { UploadBudget, type CopyForecast } from '../../src/lib/media/upload-budget.js';

const camera: OutgoingCopy = { kind: 'camera', hasVideo: true, hasAudio: true, sourceHeight: 480 };
const screen: OutgoingCopy = { kind: 'screen', hasVideo: true, hasAudio: false, sourceHeight: 1080 };

const stream = (copy: OutgoingCopy, since: number, receivers: string[] = []): ForecastStream => ({ copy, since, receivers: new Set(receivers) });
const audience = (known: Record<string, number>, linked: string[] = [], unnamedSince: number[] = []): Audience => ({
  knownSince: new Map(Object.entries(known)),
  linked: new Set(linked),
  unnamedSince,
});

describe('who is about to play', () => {
  it('expects every known member who does not receive a stream yet to ask for it', () => {
    const coming = comingCopies([stream(camera, 0, ['b']), stream(screen, 0)], audience({ a: 0, b: 0 }, ['a', 'b']), 1000);
    expect(coming.map(({ copy }) => copy.kind).sort()).toEqual(['camera', 'screen', 'screen']);
  });

  it('stops expecting a member PLAY_EXPECTED_WITHIN_MS after it became known, or after the stream was published', () => {
    const known = audience({ early: 0, late: 5000 }, ['early', 'late']);
    const at = (now: number, since = 0) => comingCopies([stream(camera, since)], known, now).map(({ expectedUntil }) => expectedUntil);
    expect(at(1000)).toEqual([PLAY_EXPECTED_WITHIN_MS, 5000 + PLAY_EXPECTED_WITHIN_MS]);
    expect(at(PLAY_EXPECTED_WITHIN_MS)).toEqual([5000 + PLAY_EXPECTED_WITHIN_MS]);
    expect(at(5000 + PLAY_EXPECTED_WITHIN_MS)).toEqual([]);
    // Published later: everyone here is expected from then on.
    expect(at(20_000, 15_000)).toEqual([15_000 + PLAY_EXPECTED_WITHIN_MS, 15_000 + PLAY_EXPECTED_WITHIN_MS]);
  });

  it('counts a data connection not named yet as a member to come, unless a known member without one accounts for it', () => {
    // Five connections being made, one named; awareness has listed two more of those members.
    const room = audience({ named: 0, listed1: 0, listed2: 0 }, ['named'], [0, 10, 20, 30]);
    const coming = comingCopies([stream(camera, 0)], room, 100);
    expect(coming).toHaveLength(3 + 2); // the three known, and the two connections beyond the listed ones
    // Everyone known and named: no one else to come.
    expect(comingCopies([stream(camera, 0)], audience({ a: 0, b: 0 }, ['a', 'b']), 100)).toHaveLength(2);
  });

  it('expects nothing when nothing is published', () => {
    expect(comingCopies([], audience({ a: 0 }, [], [0]), 100)).toEqual([]);
  });
});

describe('the upload budget with a forecast', () => {
  /** A camera copy that records what the budget gave it. */
  function copy() {
    const applied: (VideoEncoding | null)[] = [];
    return { applied, describe: () => camera, apply: (encoding: VideoEncoding | null) => void applied.push(encoding) };
  }
  /** What each of `count` camera copies gets. */
  const shareOf = (count: number) => planEncodings(Array.from({ length: count }, () => camera))[0];

  beforeEach(() => vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout', 'queueMicrotask', 'performance'] }));
  afterEach(() => vi.useRealTimers());

  it('starts the first copy of a room of five receivers at the share it keeps, and leaves it there as the others come', async () => {
    const budget = new UploadBudget();
    let coming = 4;
    const forecast: CopyForecast = (now) => Array.from({ length: coming }, () => ({ copy: camera, expectedUntil: now + 5000 }));
    budget.forecast(forecast);
    const first = copy();
    budget.add(first, false);
    await vi.advanceTimersByTimeAsync(0);
    expect(first.applied).toEqual([shareOf(5)]);
    expect(shareOf(5)).not.toEqual(shareOf(1));

    const others = [copy(), copy(), copy(), copy()];
    for (const other of others) {
      coming--;
      budget.add(other, false);
      await vi.advanceTimersByTimeAsync(0);
    }
    // SendingCopy.apply skips an unchanged encoding; here every plan gave the first copy the same one.
    expect(new Set(first.applied.map((encoding) => JSON.stringify(encoding)))).toEqual(new Set([JSON.stringify(shareOf(5))]));
    for (const other of others) expect(other.applied.at(-1)).toEqual(shareOf(5));
  });

  it('gives the share back when the expected players have not come in time, and when the forecast ends', async () => {
    const budget = new UploadBudget();
    const until = performance.now() + 3000;
    const stop = budget.forecast((now) => (now < until ? [{ copy: camera, expectedUntil: until }] : []));
    const sending = copy();
    budget.add(sending, false);
    await vi.advanceTimersByTimeAsync(0);
    expect(sending.applied.at(-1)).toEqual(shareOf(2));
    await vi.advanceTimersByTimeAsync(3000);
    expect(sending.applied.at(-1)).toEqual(shareOf(1)); // replanned when the expectation ran out

    const second = budget.forecast((now) => [{ copy: camera, expectedUntil: now + 10_000 }]);
    await vi.advanceTimersByTimeAsync(0);
    expect(sending.applied.at(-1)).toEqual(shareOf(2));
    second();
    stop();
    await vi.advanceTimersByTimeAsync(0);
    expect(sending.applied.at(-1)).toEqual(shareOf(1));
  });
});
