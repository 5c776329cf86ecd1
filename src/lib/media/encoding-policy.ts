/**
 * The upload budget: how a publisher shares its upstream among everyone it sends to. In a mesh
 * every receiver costs the sender one more encoded copy, so as a room grows each copy gets a
 * smaller share of a fixed budget, and the share picks the resolution and frame rate that look
 * best at that bitrate (a sharp small picture beats a blocky large one). Fewer pixels per copy
 * also keep the encoders of a 2-core laptop within reach at six people.
 */
import type { StreamKind } from './stream-info.js';

/** What a sender may spend on all its media connections together, all rooms included. */
export const DEFAULT_UPLOAD_BUDGET_BPS = 2_500_000;
/** Opus voice: reserved off the top for each audio copy. */
export const AUDIO_BITRATE_BPS = 40_000;

export interface OutgoingCopy {
  kind: StreamKind;
  hasVideo: boolean;
  hasAudio: boolean;
  /** The source picture's height, for the scale factor (0 when unknown). */
  sourceHeight: number;
}

export interface VideoEncoding {
  maxBitrate: number;
  maxFramerate: number;
  scaleResolutionDownBy: number;
}

interface Rung {
  minBps: number;
  height: number;
  fps: number;
}

/**
 * Camera ladder: per-copy bitrate → picture height and frame rate. At five receivers (a
 * six-person room: 460 kbps a copy with the default budget) the sender encodes five copies and
 * decodes five streams, and there the CPU, not the bitrate, is the limit: measured on two cores
 * (BENCHMARKS.md "Media"), six members at 240p 15 fps decoded 8–11 fps, at 180p 20 fps a steady
 * 20. So that rung is the small picture with a smooth frame rate; 240p is not on the ladder.
 */
const CAMERA_LADDER: readonly Rung[] = [
  { minBps: 1_000_000, height: 720, fps: 30 },
  { minBps: 700_000, height: 480, fps: 30 },
  { minBps: 500_000, height: 360, fps: 24 },
  { minBps: 280_000, height: 180, fps: 20 },
  { minBps: 0, height: 180, fps: 15 },
];

/** Screen ladder: text must stay readable, so resolution is kept and frame rate given up. */
const SCREEN_LADDER: readonly Rung[] = [
  { minBps: 1_000_000, height: 1080, fps: 15 },
  { minBps: 500_000, height: 1080, fps: 8 },
  { minBps: 0, height: 720, fps: 5 },
];

/** A screen copy weighs this many camera copies when the budget is shared out. */
const SCREEN_WEIGHT = 2;
/** Below this a picture is not worth sending; the budget is then exceeded rather than starved. */
const MIN_VIDEO_BPS = 100_000;

/** The video encoding of each copy (null for audio-only copies), in the order given. */
export function planEncodings(copies: readonly OutgoingCopy[], budgetBps = DEFAULT_UPLOAD_BUDGET_BPS): (VideoEncoding | null)[] {
  const audioCopies = copies.filter((copy) => copy.hasAudio).length;
  const videoBudget = Math.max(0, budgetBps - audioCopies * AUDIO_BITRATE_BPS);
  const weights = copies.map((copy): number => (copy.hasVideo ? (copy.kind === 'screen' ? SCREEN_WEIGHT : 1) : 0));
  const totalWeight = weights.reduce((sum, weight) => sum + weight, 0);
  return copies.map((copy, index) => {
    if (!copy.hasVideo) return null;
    const share = Math.max(MIN_VIDEO_BPS, Math.floor((videoBudget * weights[index]) / totalWeight));
    return encodingFor(copy, share);
  });
}

export function encodingFor(copy: Pick<OutgoingCopy, 'kind' | 'sourceHeight'>, bitrateBps: number): VideoEncoding {
  const ladder = copy.kind === 'screen' ? SCREEN_LADDER : CAMERA_LADDER;
  const rung = ladder.find((step) => bitrateBps >= step.minBps) ?? ladder[ladder.length - 1];
  const scale = copy.sourceHeight > rung.height ? copy.sourceHeight / rung.height : 1;
  return { maxBitrate: bitrateBps, maxFramerate: rung.fps, scaleResolutionDownBy: Math.round(scale * 100) / 100 };
}

export function sameEncoding(a: VideoEncoding | null, b: VideoEncoding | null): boolean {
  return a === b || (a !== null && b !== null && a.maxBitrate === b.maxBitrate && a.maxFramerate === b.maxFramerate && a.scaleResolutionDownBy === b.scaleResolutionDownBy);
}
