/**
 * Media signaling messages [R-30][R-31]. They travel over the relay on a topic of their own per
 * room (`media/<roomId>`: a room id cannot contain `/`, so it never meets a room's own topic,
 * and stock y-webrtc clients ignore it), addressed from one member to another.
 *
 * The player drives every connection: it asks (`play`) with a fresh connection id, the publisher
 * answers by offering, and both drop any signal whose id is not the current one. So two peers
 * never offer at once, and a signal from an abandoned attempt cannot confuse a new one.
 */

export type MediaSignal =
  /** player → publisher: send me this stream over a new connection `conn`. */
  | { t: 'play'; from: string; to: string; stream: string; conn: string }
  /** player → publisher: I stopped playing; close `conn`. */
  | { t: 'stop'; from: string; to: string; stream: string; conn: string }
  /** either way: simple-peer's signal data (offer, answer, candidate) for `conn`. */
  | { t: 'signal'; from: string; to: string; stream: string; conn: string; data: Record<string, unknown> }
  /** publisher → player: cannot serve `conn` (no such stream, or not allowed). */
  | { t: 'refuse'; from: string; to: string; stream: string; conn: string; code: string };

export const MEDIA_TOPIC_PREFIX = 'media/';

export function mediaTopic(roomId: string): string {
  return MEDIA_TOPIC_PREFIX + roomId;
}

const TYPES = new Set(['play', 'stop', 'signal', 'refuse']);
const MEMBER_ID = /^\d{1,16}$/;
const TOKEN = /^[A-Za-z0-9_.:-]{1,64}$/;
/** An SDP with many candidates is a few KiB; anything far bigger is not a signal. */
const MAX_SIGNAL_DATA_CHARS = 32 * 1024;

/** A signal from the wire, or null when it is not one (peer input: never trusted). */
export function parseSignal(value: unknown): MediaSignal | null {
  if (typeof value !== 'object' || value === null) return null;
  const { t, from, to, stream, conn, data, code } = value as Record<string, unknown>;
  if (typeof t !== 'string' || !TYPES.has(t)) return null;
  if (typeof from !== 'string' || !MEMBER_ID.test(from) || typeof to !== 'string' || !MEMBER_ID.test(to)) return null;
  if (typeof stream !== 'string' || !TOKEN.test(stream) || typeof conn !== 'string' || !TOKEN.test(conn)) return null;
  const base = { from, to, stream, conn };
  if (t === 'signal') {
    if (typeof data !== 'object' || data === null || Array.isArray(data)) return null;
    if (jsonLength(data) > MAX_SIGNAL_DATA_CHARS) return null;
    return { t, ...base, data: data as Record<string, unknown> };
  }
  if (t === 'refuse') return typeof code === 'string' && TOKEN.test(code) ? { t, ...base, code } : null;
  return { t: t as 'play' | 'stop', ...base };
}

/**
 * The length of a value's JSON text, or Infinity when it has none. Peer input parsed from JSON
 * can nest thousands deep (a 64 KiB relay frame holds ~13,000 levels) and JSON.stringify then
 * overflows the stack: thrown here, that RangeError broke the queue of incoming signals and
 * every later signal of the room was lost (tests/unit/peer-input-media.test.ts).
 */
function jsonLength(value: unknown): number {
  try {
    return JSON.stringify(value).length;
  } catch {
    // Too deep (or not JSON at all): certainly not a signal.
    return Infinity;
  }
}
