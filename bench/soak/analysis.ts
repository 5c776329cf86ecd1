/**
 * What "bounded" means for the soak, as numbers both the bench and the e2e test check, and the
 * table the bench prints.
 */

/** One sample of the watched tab (every ~5 s). */
export interface SoakSample {
  /** Seconds since the churn started (negative: before it). */
  t: number;
  phase: 'baseline' | 'churn' | 'drain' | 'end';
  /** Other members the watched tab sees, per room. */
  members: number[];
  /** Those members as `roomId memberId`. */
  memberKeys: string[];
  created: number;
  open: number;
  /** Of the open ones, those connected (the rest are being set up, or are glare losers). */
  connected: number;
  /** The open ones not connected, as `connectionState/signalingState`. */
  pending: string[];
  /** RTCPeerConnections constructed and not yet garbage-collected (what Chromium's ~500 limit counts). */
  uncollected: number;
  heapMb: number;
  rssMb: number | null;
  nodes: number;
  listeners: number;
  playing: number;
}

/**
 * Peer connections one other member justifies in one room: the data connection (y-webrtc),
 * the media connection that plays its stream, and the one that sends it our camera.
 */
export const CONNECTIONS_PER_MEMBER = 3;
/**
 * A connection outlives its member's departure for a while, and that is by design: a glare
 * loser (both ends offered at once) is closed after 15 s of no answer
 * (src/lib/media/peer-connections.ts), a stuck pair is given up after 8–14 s
 * (src/lib/rooms/stuck-connections.ts), a crashed member's connections go when ICE fails or it
 * is declared gone (within 15 s ). And a joining member's connections are created when
 * its announce arrives through the relay, before its awareness state makes it a member. A
 * crashed member's connections close when ICE consent fails, ~30 s after its last packet (RFC
 * 7675), while the room declares it gone after 8–10 s. So what members justify at a moment is
 * counted from every member seen in the samples of the last RELEASE_WINDOW_S seconds and in
 * the next sample.
 */
export const RELEASE_WINDOW_S = 25;
/**
 * An offer nobody answers (a glare loser: both ends offered at once, or an offer to a member
 * that left first) stays `new/have-local-offer` until swept 15 s after its creation, checked
 * every 5 s (src/lib/media/peer-connections.ts). Such offers are bounded by time, not by
 * members: each must be among the connections created in the last UNANSWERED_LIMIT_S.
 */
export const UNANSWERED_LIMIT_S = 25;
/** The other open connections may exceed what members justify by this much (a pair's retry beside its stuck first try). */
export const OPEN_CONNECTION_SLACK = 2;

export const isUnansweredOffer = (state: string) => state === 'new/have-local-offer';
const unanswered = (s: SoakSample) => s.pending.filter(isUnansweredOffer).length;

const totalMembers = (s: SoakSample) => s.members.reduce((a, b) => a + b, 0);

/** Connections that the members seen in `samples[index]`, in the RELEASE_WINDOW_S before it and in the next sample justify. */
export function justifiedConnections(samples: readonly SoakSample[], index: number): number {
  const now = samples[index];
  const recent = samples.filter((s, i) => i <= index + 1 && s.t >= now.t - RELEASE_WINDOW_S);
  return new Set(recent.flatMap((s) => s.memberKeys)).size * CONNECTIONS_PER_MEMBER;
}

/** Least-squares slope of y over x (units of y per unit of x); NaN with fewer than 2 points. */
export function slope(points: readonly { x: number; y: number }[]): number {
  if (points.length < 2) return NaN;
  const n = points.length;
  const mx = points.reduce((a, p) => a + p.x, 0) / n;
  const my = points.reduce((a, p) => a + p.y, 0) / n;
  const sxy = points.reduce((a, p) => a + (p.x - mx) * (p.y - my), 0);
  const sxx = points.reduce((a, p) => a + (p.x - mx) ** 2, 0);
  return sxx === 0 ? NaN : sxy / sxx;
}

/** Heap slope over the second half of the churn, MB per minute. */
export function heapSlopeSecondHalf(samples: readonly SoakSample[], field: 'heapMb' | 'rssMb' = 'heapMb'): number {
  const churn = samples.filter((s) => s.phase === 'churn');
  const last = churn.at(-1)?.t ?? 0;
  const points = churn.filter((s) => s.t >= last / 2 && s[field] !== null).map((s) => ({ x: s.t / 60, y: s[field] as number }));
  return slope(points);
}

/** The churn sample nearest to `seconds` after the start. */
export function sampleAt(samples: readonly SoakSample[], seconds: number): SoakSample | undefined {
  const churn = samples.filter((s) => s.phase === 'churn');
  return churn.reduce<SoakSample | undefined>((best, s) => (!best || Math.abs(s.t - seconds) < Math.abs(best.t - seconds) ? s : best), undefined);
}

/** `2× new/have-local-offer, 1× connecting/stable` */
function summarize(states: readonly string[]): string {
  const counts = new Map<string, number>();
  for (const state of states) counts.set(state, (counts.get(state) ?? 0) + 1);
  return [...counts].map(([state, n]) => `${n}× ${state}`).join(', ');
}

const mb = (v: number | null) => (v === null ? '—' : v.toFixed(1));

export const TABLE_HEADER = [
  '| t (s) | phase | members (per room) | pcs created | pcs open | connected | justified (members −25 s…next) | uncollected | heap MB | renderer RSS MB | DOM nodes | listeners | playing | not connected |',
  '|---:|---|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---|',
].join('\n');

export function tableRow(samples: readonly SoakSample[], index: number): string {
  const s = samples[index];
  const members = `${totalMembers(s)} (${s.members.join('/')})`;
  return `| ${s.t.toFixed(0)} | ${s.phase} | ${members} | ${s.created} | ${s.open} | ${s.connected} | ${justifiedConnections(samples, index)} | ${s.uncollected} | ${mb(s.heapMb)} | ${mb(s.rssMb)} | ${s.nodes} | ${s.listeners} | ${s.playing} | ${summarize(s.pending)} |`;
}

/**
 * Heap after GC at the end may exceed the reference (after the first minute) by this much.
 * What legitimately stays: every room's chat history (one message per churner stay, kept for
 * late joiners) and the Yjs documents' record of every client that ever wrote, plus V8's
 * compiled code for paths first taken later; a leaked member (its peer connections, streams,
 * listeners) costs far more than this per member, and hundreds of members pass in a soak.
 */
export const HEAP_MARGIN_MB = 1.5;
/**
 * Growth over the second half of the churn, MB per minute, above which it is a trend. The heap
 * at a sample also moves with how many members are in the rooms at that moment (~0.1 MB each),
 * so a slope over a short run is mostly that noise: 30 s of samples carry ±0.15 MB, i.e. up to
 * ~0.5 MB/min either way. A leak of what a member brings (its connections, streams, elements),
 * with a member passing every few seconds, would grow by MBs a minute.
 */
export function heapSlopeLimit(churnSeconds: number): number {
  return churnSeconds >= 300 ? 0.25 : 1;
}

export interface SoakVerdict {
  reference?: SoakSample;
  end?: SoakSample;
  heapGrowthMb: number;
  heapSlopeMbPerMin: number;
  rssSlopeMbPerMin: number;
  /** Most open connections besides unanswered offers above what members justify. */
  maxOverJustified: number;
  maxUnanswered: number;
  problems: string[];
}

/** The bounded-ness checks of issue 6, over samples of one run; `referenceSeconds` is "after the first minute". */
export function judge(samples: readonly SoakSample[], referenceSeconds: number): SoakVerdict {
  const problems: string[] = [];
  const baseline = samples.find((s) => s.phase === 'baseline');
  const end = samples.find((s) => s.phase === 'end');
  const reference = sampleAt(samples, referenceSeconds);
  samples.forEach((s, i) => {
    const justified = justifiedConnections(samples, i);
    const settled = s.open - unanswered(s);
    if (settled > justified + OPEN_CONNECTION_SLACK) problems.push(`t=${s.t.toFixed(0)} s: ${settled} peer connections open besides unanswered offers, members of the last ${RELEASE_WINDOW_S} s justify ${justified} (+${OPEN_CONNECTION_SLACK} slack)`);
    const before = samples.filter((o) => o.t <= s.t - UNANSWERED_LIMIT_S).at(-1) ?? samples[0];
    if (unanswered(s) > s.created - before.created) problems.push(`t=${s.t.toFixed(0)} s: ${unanswered(s)} unanswered offers open, only ${s.created - before.created} connections created in the last ${UNANSWERED_LIMIT_S} s`);
  });
  if (!baseline || !end) problems.push('no baseline or end sample');
  else {
    if (end.open !== baseline.open) problems.push(`after everyone left: ${end.open} peer connections open, baseline ${baseline.open}`);
    if (end.members.some((m) => m !== 0)) problems.push(`after everyone left the watched tab still sees members ${end.members.join('/')}`);
    if (end.playing !== 0) problems.push(`after everyone left ${end.playing} media elements still play`);
  }
  const heapGrowthMb = reference && end ? end.heapMb - reference.heapMb : NaN;
  if (!(heapGrowthMb <= HEAP_MARGIN_MB)) problems.push(`heap at the end ${end?.heapMb.toFixed(2)} MB vs ${reference?.heapMb.toFixed(2)} MB at ${reference?.t.toFixed(0)} s: +${heapGrowthMb.toFixed(2)} MB > ${HEAP_MARGIN_MB} MB`);
  const heapSlopeMbPerMin = heapSlopeSecondHalf(samples);
  const slopeLimit = heapSlopeLimit(Math.max(0, ...samples.filter((s) => s.phase === 'churn').map((s) => s.t)));
  if (!(heapSlopeMbPerMin <= slopeLimit)) problems.push(`heap grows ${heapSlopeMbPerMin.toFixed(3)} MB/min over the second half (limit ${slopeLimit})`);
  const maxOverJustified = Math.max(...samples.map((s, i) => s.open - unanswered(s) - justifiedConnections(samples, i)));
  const maxUnanswered = Math.max(...samples.map(unanswered));
  return { reference, end, heapGrowthMb, heapSlopeMbPerMin, rssSlopeMbPerMin: heapSlopeSecondHalf(samples, 'rssMb'), maxOverJustified, maxUnanswered, problems };
}
