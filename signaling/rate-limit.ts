/**
 * Token bucket per connection. Tokens refill continuously at `ratePerSecond` up to
 * `burst`. A message when the bucket is empty is refused; a sender that keeps going until its
 * debt reaches another full burst is not a confused client but a flood, and is disconnected.
 */
export type RateDecision = 'allow' | 'drop' | 'disconnect';

export class TokenBucket {
  #tokens: number;
  #updatedAt: number;

  constructor(
    private readonly ratePerSecond: number,
    private readonly burst: number,
    now: number,
  ) {
    this.#tokens = burst;
    this.#updatedAt = now;
  }

  take(now: number): RateDecision {
    if (this.ratePerSecond <= 0) return 'allow';
    // The relay passes Date.now(), which steps backwards when the system clock is corrected;
    // a negative elapsed time would put every active sender deep in debt and disconnect it.
    const elapsedSeconds = Math.max(0, now - this.#updatedAt) / 1000;
    this.#updatedAt = now;
    this.#tokens = Math.min(this.burst, this.#tokens + elapsedSeconds * this.ratePerSecond);
    this.#tokens -= 1;
    if (this.#tokens >= 0) return 'allow';
    return this.#tokens <= -this.burst ? 'disconnect' : 'drop';
  }
}
