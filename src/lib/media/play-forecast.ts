/**
 * Who is about to play a published stream, so the upload budget can plan for them before they
 * ask (upload-budget.ts).
 *
 * Planned only for the copies it has, a camera entering a room of six gave its first copy a
 * 640×480 picture at 30 fps, then re-planned every copy as each new receiver arrived: the
 * picture size changed twice on the way to the five-receiver 180p (each change a new key
 * frame to encode and a decoder to reset at the other end), and each page made 17–20
 * `setParameters` calls — 0.2–0.6 s of its main thread waiting on WebRTC's threads — while
 * two cores were already short of time for the room's connections. Planned for the members
 * who will play, every copy starts at the size it keeps: six members were seen and heard in
 * 2.4–3.4 s against 4.3–6.1 s, sooner in 8 of 8 alternating pairs (BENCHMARKS.md "Media",
 * "The play forecast").
 *
 * The forecast: a member of the room plays each of our streams (the app's players do, and
 * most others will) within PLAY_EXPECTED_WITHIN_MS of becoming known here or of the stream
 * being published, whichever is later. A member is known once listed (awareness) or once its
 * data connection says whose it is; before either, a data connection being made counts as a
 * member to come: in a room of six they are all made within about 0.4 s, while the awareness of
 * the last members arrives a second or more later, after the first copies have started. One
 * who has not asked in time no longer counts, and the copies that do go out get their share
 * back: what a wrong forecast costs is part of a share for a few seconds, never a picture.
 */
import type { OutgoingCopy } from './encoding-policy.js';

/**
 * How long after a member is listed (or a stream published) its play is expected. Six members
 * entering together on two cores ask within 1–4 s, a slow spell of the host up to about 7 s.
 */
export const PLAY_EXPECTED_WITHIN_MS = 8000;

/** A copy the plan leaves room for before it exists, until `expectedUntil` (performance.now()). */
export interface ComingCopy {
  copy: OutgoingCopy;
  expectedUntil: number;
}

export interface ForecastStream {
  /** What a copy of it would be (outgoing.ts describeCopy). */
  copy: OutgoingCopy;
  /** When it was published (performance.now()). */
  since: number;
  /** Members it is being sent to now. */
  receivers: Pick<ReadonlySet<string>, 'has'>;
}

/** Who may be about to play, as a room's media knows it. */
export interface Audience {
  /** Members known here (listed, or named by their data connection), with when each became known. */
  knownSince: ReadonlyMap<string, number>;
  /** Members whose data connection has said whose it is. */
  linked: ReadonlySet<string>;
  /** When each data connection that has not said whose it is yet was made. */
  unnamedSince: readonly number[];
}

/**
 * The copies still to come of `streams`: one per stream and member whose play is still expected
 * at `now` and who does not receive it yet. A data connection not named yet most likely leads
 * to a known member that has none named; those beyond such members are members still to be
 * known.
 */
export function comingCopies(streams: Iterable<ForecastStream>, audience: Audience, now: number): ComingCopy[] {
  const knownUnlinked = [...audience.knownSince.keys()].filter((memberId) => !audience.linked.has(memberId)).length;
  const unknownSince = audience.unnamedSince.slice(knownUnlinked);
  const coming: ComingCopy[] = [];
  for (const stream of streams) {
    const expect = (since: number) => {
      const expectedUntil = Math.max(since, stream.since) + PLAY_EXPECTED_WITHIN_MS;
      if (expectedUntil > now) coming.push({ copy: stream.copy, expectedUntil });
    };
    for (const [memberId, since] of audience.knownSince) if (!stream.receivers.has(memberId)) expect(since);
    for (const since of unknownSince) expect(since);
  }
  return coming;
}
