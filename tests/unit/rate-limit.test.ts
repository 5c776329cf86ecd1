import { describe, expect, it } from 'vitest';
import { TokenBucket, type RateDecision } from '../../signaling/rate-limit.js';

/** Takes `count` tokens at the same instant and returns the decisions. */
function takeMany(bucket: TokenBucket, count: number, now: number): RateDecision[] {
  return Array.from({ length: count }, () => bucket.take(now));
}

describe('TokenBucket [R-72]', () => {
  it('[R-72] allows a full burst at once, then drops', () => {
    const bucket = new TokenBucket(10, 5, 0);
    expect(takeMany(bucket, 5, 0)).toEqual(Array(5).fill('allow'));
    expect(bucket.take(0)).toBe('drop');
  });

  it('[R-72] disconnects once the debt reaches another full burst', () => {
    const bucket = new TokenBucket(10, 5, 0);
    takeMany(bucket, 5, 0);
    // Tokens go -1 … -4: dropped; the 5th refused message reaches -5: disconnect.
    expect(takeMany(bucket, 4, 0)).toEqual(Array(4).fill('drop'));
    expect(bucket.take(0)).toBe('disconnect');
  });

  it('[R-72] refills continuously at ratePerSecond', () => {
    const bucket = new TokenBucket(10, 5, 0);
    takeMany(bucket, 5, 0);
    expect(bucket.take(50)).toBe('drop'); // 0.5 token back, minus 1: in debt
    // 100 ms more: +1 token, still below zero after taking.
    expect(bucket.take(150)).toBe('drop');
    // From -1 at t=150, 200 ms give +2: one message allowed.
    expect(bucket.take(350)).toBe('allow');
  });

  it('[R-72] a sender at exactly the sustained rate is never refused', () => {
    const bucket = new TokenBucket(100, 1, 0);
    for (let t = 0; t < 10_000; t += 10) expect(bucket.take(t)).toBe('allow');
  });

  it('[R-72] refill is capped at burst', () => {
    const bucket = new TokenBucket(10, 3, 0);
    // An hour idle gives back only 3 tokens.
    expect(takeMany(bucket, 3, 3_600_000)).toEqual(['allow', 'allow', 'allow']);
    expect(bucket.take(3_600_000)).toBe('drop');
  });

  it('[R-72] a slow dribble while in debt pays the debt back instead of disconnecting', () => {
    const bucket = new TokenBucket(10, 2, 0);
    takeMany(bucket, 2, 0);
    expect(bucket.take(0)).toBe('drop'); // -1
    // One message every 100 ms: +1 -1 each time, the debt stays at -1.
    for (let t = 100; t <= 2000; t += 100) expect(bucket.take(t)).toBe('drop');
    // Pausing 300 ms pays it back.
    expect(bucket.take(2300)).toBe('allow');
  });

  it('[R-72] rate 0 disables limiting', () => {
    const bucket = new TokenBucket(0, 0, 0);
    expect(takeMany(bucket, 10_000, 0).every((d) => d === 'allow')).toBe(true);
  });

  it('[R-72] a wall clock stepping backwards (Date.now is not monotonic) neither refills nor punishes', () => {
    const bucket = new TokenBucket(10, 2, 10_000);
    expect(bucket.take(10_000)).toBe('allow'); // one token left
    // The clock steps back 10 s (NTP): the sender has done nothing wrong, its token is still there.
    expect(bucket.take(0)).toBe('allow');
    expect(bucket.take(0)).toBe('drop');
    // Time then runs forward again from the new reading.
    expect(bucket.take(100)).toBe('drop');
    expect(bucket.take(400)).toBe('allow');
  });
});
