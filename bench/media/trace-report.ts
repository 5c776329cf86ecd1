/**
 * `bench:media -- --trace`: where the time goes between enterRoom and a remote picture, per
 * pair of members, from what their clients traced (RoomClientOptions.trace, src/lib/rooms/trace.ts)
 * and when each <video> first had a picture. Times are ms after the first member called
 * enterRoom (every page uses the machine's wall clock).
 */
import type { TraceEntry } from './pages.js';

export interface TracedMember {
  name: string;
  entries: TraceEntry[];
  /** When each remote video first had a picture, by stream id. */
  firstFrames: Record<string, number>;
}

interface Identity {
  name: string;
  memberId: string;
  peerId: string;
  entries: TraceEntry[];
  firstFrames: Record<string, number>;
}

/** Stages of one pair, receiver ← publisher, in the order they happen. */
const STAGES = ['data conn', 'data open', 'stream seen', 'play in', 'offer in', 'track', 'ICE', 'picture'] as const;

function identify(member: TracedMember): Identity {
  const peer = member.entries.find((entry) => entry.event === 'data-peer-id');
  return { name: member.name, memberId: String(peer?.memberId ?? '?'), peerId: String(peer?.peer ?? '?'), entries: member.entries, firstFrames: member.firstFrames };
}

const first = (entries: TraceEntry[], event: string, match: (entry: TraceEntry) => boolean = () => true): number | undefined =>
  entries.find((entry) => entry.event === event && match(entry))?.at;

const count = (entries: TraceEntry[], event: string, match: (entry: TraceEntry) => boolean): number => entries.filter((entry) => entry.event === event && match(entry)).length;

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)] ?? NaN;
}

const ms = (value: number | undefined): string => (value === undefined || Number.isNaN(value) ? '–' : String(Math.round(value)));

export function traceReport(members: TracedMember[]): string {
  const ids = members.map(identify);
  const t0 = Math.min(...ids.flatMap((m) => m.entries.filter((e) => e.event === 'enter').map((e) => e.at)));
  const at = (value: number | undefined) => (value === undefined ? undefined : value - t0);
  const lines: string[] = [];

  lines.push('member | relay entered | signaling ready | entered | data conns made (as initiator) | glares settled (kept own offer / gave way)');
  for (const m of ids) {
    const made = m.entries.filter((e) => e.event === 'data-conn');
    lines.push(
      `${m.name} | ${ms(at(first(m.entries, 'relay-entered')))} | ${ms(at(first(m.entries, 'signaling-ready')))} | ${ms(at(first(m.entries, 'entered')))} | ` +
        `${made.length} (${made.filter((e) => e.initiator).length}) | ${count(m.entries, 'data-glare-kept', () => true)} / ${count(m.entries, 'data-glare-gave-way', () => true)}`,
    );
  }

  lines.push('', `receiver ← publisher | ${STAGES.join(' | ')} | data conns / glares | media tries (failures)`);
  const stageTimes = new Map<string, number[]>(STAGES.map((stage) => [stage, []]));
  for (const r of ids) {
    for (const p of ids) {
      if (r === p) continue;
      const aboutP = (e: TraceEntry) => e.peer === p.peerId;
      const aboutR = (e: TraceEntry) => e.peer === r.peerId;
      const media = (e: TraceEntry) => e.peer === p.memberId && e.side === 'receive';
      const created = [first(r.entries, 'data-conn', aboutP), first(p.entries, 'data-conn', aboutR)].filter((t): t is number => t !== undefined);
      const times = [
        created.length > 0 ? Math.min(...created) : undefined,
        first(r.entries, 'data-first-message', aboutP),
        first(r.entries, 'stream-seen', (e) => e.peer === p.memberId),
        first(p.entries, 'play-in', (e) => e.peer === r.memberId),
        // A stream on a line of the data connection has no offer and no ICE of its own: its
        // tracks come with the publisher's `sending` (media-lines.ts).
        first(r.entries, 'media-offer-in', media),
        first(r.entries, 'media-stream', media) ?? first(r.entries, 'media-line', media),
        first(r.entries, 'media-ice-connected', media),
        r.firstFrames[`cam-${p.name}`],
      ].map(at);
      const conns = count(r.entries, 'data-conn', aboutP) + count(p.entries, 'data-conn', aboutR);
      // Settled by the gate (one side kept its offer), or not (data-glare: a peer that does not gate).
      const glares = count(r.entries, 'data-glare-kept', aboutP) + count(p.entries, 'data-glare-kept', aboutR) + count(r.entries, 'data-glare', aboutP) + count(p.entries, 'data-glare', aboutR);
      const tries = count(r.entries, 'play-sent', media);
      const failures = r.entries.filter((e) => e.event === 'play-failed' && media(e)).map((e) => String(e.reason));
      lines.push(`${r.name} ← ${p.name} | ${times.map(ms).join(' | ')} | ${conns} / ${glares} | ${tries}${failures.length ? ` (${failures.join(', ')})` : ''}`);
      let previous = 0;
      times.forEach((time, index) => {
        if (time === undefined) return;
        stageTimes.get(STAGES[index])!.push(time - previous);
        previous = time;
      });
    }
  }
  lines.push('', 'stage (ms since the previous one) | median | max');
  for (const stage of STAGES) {
    const values = stageTimes.get(stage)!;
    lines.push(`${stage} | ${ms(median(values))} | ${ms(values.length ? Math.max(...values) : undefined)}`);
  }
  return lines.join('\n');
}
