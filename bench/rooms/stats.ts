/** Order statistics for the room benchmarks (nearest rank: every value reported was measured). */

export function percentile(values: readonly number[], p: number): number {
  if (values.length === 0) return NaN;
  const sorted = [...values].sort((a, b) => a - b);
  const rank = Math.ceil((p / 100) * sorted.length);
  return sorted[Math.min(sorted.length, Math.max(1, rank)) - 1];
}

export const median = (values: readonly number[]): number => percentile(values, 50);

/** `median (min–max)` in whole milliseconds, or a dash when nothing was measured. */
export function medianAndRange(values: readonly number[], digits = 0): string {
  if (values.length === 0) return '—';
  const fmt = (v: number) => v.toFixed(digits);
  return `${fmt(median(values))} (${fmt(Math.min(...values))}–${fmt(Math.max(...values))})`;
}
