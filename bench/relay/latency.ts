/**
 * Delivery latency for the relay scale benchmark: each publish carries the time it was
 * sent, in the payload, as fixed-width decimal microseconds of the load generator's clock; each
 * receiver (in the same process, so the same clock) reads it back and files now − then in a
 * histogram. Fixed buckets, so recording is one increment and percentiles are exact to the
 * bucket: 10 µs wide up to 100 ms, 1 ms wide up to 10 s, then one overflow bucket.
 */
import { performance } from 'node:perf_hooks';

/** Digits of a send stamp in a payload (µs since the load generator started: 11.5 days fit). */
export const STAMP_DIGITS = 12;

const FINE_US = 10;
const FINE_BUCKETS = 10_000; // up to 100 ms
const COARSE_US = 1000;
const COARSE_BUCKETS = 9_900; // up to 10 s
const buckets = new Uint32Array(FINE_BUCKETS + COARSE_BUCKETS + 1);
let count = 0;
let maxUs = 0;

export function nowUs(): number {
  return Math.round(performance.now() * 1000);
}

/** Writes `us` as STAMP_DIGITS ASCII digits at `offset`. */
export function writeStamp(target: Buffer, offset: number, us: number): void {
  let value = us;
  for (let i = STAMP_DIGITS - 1; i >= 0; i--) {
    target[offset + i] = 0x30 + (value % 10);
    value = Math.floor(value / 10);
  }
}

/** Reads a stamp written by writeStamp; NaN if it is not all digits. */
export function readStamp(source: Buffer): number {
  let value = 0;
  for (let i = 0; i < STAMP_DIGITS; i++) {
    const digit = source[i] - 0x30;
    if (digit < 0 || digit > 9) return NaN;
    value = value * 10 + digit;
  }
  return value;
}

export function recordLatency(us: number): void {
  if (!Number.isFinite(us)) return;
  const latency = us < 0 ? 0 : us;
  const fine = Math.floor(latency / FINE_US);
  const index = fine < FINE_BUCKETS ? fine : Math.min(FINE_BUCKETS + Math.floor((latency - FINE_BUCKETS * FINE_US) / COARSE_US), buckets.length - 1);
  buckets[index]++;
  count++;
  if (latency > maxUs) maxUs = latency;
}

export function resetLatency(): void {
  buckets.fill(0);
  count = 0;
  maxUs = 0;
}

export interface LatencySummary {
  count: number;
  p50Ms: number;
  p90Ms: number;
  p99Ms: number;
  p999Ms: number;
  maxMs: number;
}

/** Percentiles since the last reset, each the upper edge of its bucket. */
export function latencySummary(): LatencySummary {
  const upperEdgeUs = (index: number) =>
    index < FINE_BUCKETS ? (index + 1) * FINE_US : FINE_BUCKETS * FINE_US + (index - FINE_BUCKETS + 1) * COARSE_US;
  const percentile = (p: number) => {
    if (count === 0) return NaN;
    const rank = Math.ceil(count * p);
    let seen = 0;
    for (let i = 0; i < buckets.length; i++) {
      seen += buckets[i];
      if (seen >= rank) return Math.min(upperEdgeUs(i), maxUs) / 1000;
    }
    return maxUs / 1000;
  };
  return { count, p50Ms: percentile(0.5), p90Ms: percentile(0.9), p99Ms: percentile(0.99), p999Ms: percentile(0.999), maxMs: maxUs / 1000 };
}
