/**
 * What a member tells its room about the streams it publishes [R-5][R-53]. It rides in the
 * member's awareness state (encrypted with the room key like the rest of it), so a stream
 * disappears with its publisher when they leave, crash or are kicked, and a late joiner sees
 * every stream at once. A remote entry is peer input: it is checked before anyone sees it.
 */
import { ErrorCode, RoomError } from '../rooms/errors.js';

/** camera (+ mic), screen share, or microphone only (audio-only mode). */
export type StreamKind = 'camera' | 'screen' | 'audio';
const STREAM_KINDS: readonly StreamKind[] = ['camera', 'screen', 'audio'];

/** A track of a stream: sending (`on`), muted by its owner (`off`, track.enabled = false), or absent. */
export type TrackState = 'on' | 'off' | 'none';
const TRACK_STATES: readonly TrackState[] = ['on', 'off', 'none'];

export interface StreamInfo {
  streamId: string;
  kind: StreamKind;
  audio: TrackState;
  video: TrackState;
}

/** Streams one member may publish into one room at once (camera, screen, and a few more). */
export const MAX_STREAMS_PER_MEMBER = 8;
const STREAM_ID_PATTERN = /^[A-Za-z0-9_.:-]{1,64}$/;

export function assertStreamId(streamId: unknown, roomId: string): asserts streamId is string {
  if (typeof streamId !== 'string' || !STREAM_ID_PATTERN.test(streamId)) {
    throw new RoomError(ErrorCode.INVALID_STREAM, 'streamId must be 1–64 characters of A–Z a–z 0–9 _ . : -', roomId);
  }
}

/** The state of a stream's audio or video as its owner has set it. */
export function trackState(tracks: readonly MediaStreamTrack[]): TrackState {
  const live = tracks.filter((track) => track.readyState === 'live');
  if (live.length === 0) return 'none';
  return live.some((track) => track.enabled) ? 'on' : 'off';
}

/** A display capture reports its surface (monitor, window, browser); a camera does not. */
export function guessKind(stream: MediaStream): StreamKind {
  const video = stream.getVideoTracks()[0];
  if (!video) return 'audio';
  const settings = video.getSettings() as MediaTrackSettings & { displaySurface?: string };
  return settings.displaySurface ? 'screen' : 'camera';
}

export function describeStream(streamId: string, stream: MediaStream, kind: StreamKind = guessKind(stream)): StreamInfo {
  return { streamId, kind, audio: trackState(stream.getAudioTracks()), video: trackState(stream.getVideoTracks()) };
}

/** The streams field of a remote awareness state; malformed entries are skipped, not fatal. */
export function readStreams(value: unknown): StreamInfo[] {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return [];
  const streams: StreamInfo[] = [];
  for (const [streamId, entry] of Object.entries(value).slice(0, MAX_STREAMS_PER_MEMBER)) {
    if (!STREAM_ID_PATTERN.test(streamId) || typeof entry !== 'object' || entry === null) continue;
    const { kind, audio, video } = entry as Record<string, unknown>;
    if (!STREAM_KINDS.includes(kind as StreamKind) || !TRACK_STATES.includes(audio as TrackState) || !TRACK_STATES.includes(video as TrackState)) continue;
    streams.push({ streamId, kind: kind as StreamKind, audio: audio as TrackState, video: video as TrackState });
  }
  return streams;
}

/** The awareness form: an object keyed by streamId (one entry per id by construction). */
export function writeStreams(streams: readonly StreamInfo[]): Record<string, Omit<StreamInfo, 'streamId'>> {
  return Object.fromEntries(streams.map(({ streamId, kind, audio, video }) => [streamId, { kind, audio, video }]));
}

export function sameStream(a: StreamInfo, b: StreamInfo): boolean {
  return a.streamId === b.streamId && a.kind === b.kind && a.audio === b.audio && a.video === b.video;
}
