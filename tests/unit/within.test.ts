import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { within } from '../../src/lib/rooms/within.js';

describe('within: wait, but not longer than', () => {
  beforeEach(() => vi.useFakeTimers());
  afterEach(() => vi.useRealTimers());

  it('ends when the promise settles, rejected or not, and when the time is up', async () => {
    const ended: string[] = [];
    void within(Promise.resolve('x'), 1000).then(() => ended.push('resolved'));
    void within(Promise.reject(new Error('no')), 1000).then(() => ended.push('rejected'));
    void within(new Promise(() => {}), 1000).then(() => ended.push('never'));
    await vi.advanceTimersByTimeAsync(0);
    expect(ended).toEqual(['resolved', 'rejected']);
    await vi.advanceTimersByTimeAsync(999);
    expect(ended).toHaveLength(2);
    await vi.advanceTimersByTimeAsync(1);
    expect(ended).toEqual(['resolved', 'rejected', 'never']);
    expect(vi.getTimerCount()).toBe(0);
  });
});
