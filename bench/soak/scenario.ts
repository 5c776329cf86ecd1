/**
 * The soak of issue 6: one watched tab in five rooms while members join and leave every few
 * seconds, some of them abruptly (their browser context closed without unload, replaced by a
 * fresh one). Shared by `npm run bench:soak` (10 minutes) and tests/e2e/soak.spec.ts (about a
 * minute), which check the same numbers (analysis.ts).
 *
 * Churners publish audio only and play the watched tab's 320x240 camera, so that every
 * connection kind is exercised (data, media in, media out) while two cores stay responsive.
 */
import type { Browser, Page } from '@playwright/test';
import { createMemoryProbe } from './memory.js';
import { openSoakPage, readWatchedTab, startWatchedTab, type SoakPage } from './pages.js';
import type { SoakSample } from './analysis.js';

export interface SoakOptions {
  /** Runs the watched tab alone, so its renderer memory can be read. */
  watchedBrowser: Browser;
  churnBrowser: Browser;
  /** ws:// URL of the relay. */
  relayUrl: string;
  /** A page of the relay's origin for the harness (its /healthz). */
  healthUrl: string;
  churnMs: number;
  churners?: number;
  sampleEveryMs?: number;
  /** How long a churner stays in a room, ms: uniform in [min, max]. */
  stayMs?: [number, number];
  /** A churner's context crashes (closed without unload) at the end of its n-th stay, n uniform in [min, max]; then a fresh one comes. */
  crashAfterStays?: [number, number];
  seed?: number;
  /** Called with each sample as it is taken (the bench prints the curve as it goes). */
  onSample?: (sample: SoakSample, samples: readonly SoakSample[]) => void;
}

export interface ChurnFailure {
  userId: string;
  room: string;
  what: string;
}

export interface SoakResult {
  rooms: string[];
  samples: SoakSample[];
  /** Room entries by churners, and how many ended abruptly. */
  entries: number;
  crashes: number;
  /** Churner enterRoom → it sees the watched tab's camera, ms. */
  joinMs: number[];
  /** Chat messages churners sent, and for each that reached the watched tab the delay, ms. */
  sent: number;
  deliveredMs: number[];
  /** Messages the watched tab never got. */
  undelivered: string[];
  failures: ChurnFailure[];
}

const ROOM_COUNT = 5;
/** After the churners are gone: how long the watched tab gets to drop their connections. A crashed member is declared gone within 15 s. */
const DRAIN_LIMIT_MS = 30_000;
/** A churner waits this long to see the watched tab and its camera before it counts a failure. */
const JOIN_LIMIT_MS = 30_000;

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** Small seeded generator (mulberry32), so a run's choices can be replayed with its seed. */
function seededRandom(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** Enters `room`, publishes the churner's microphone, waits for the watched tab's camera and plays it. */
function enterAndPlay(page: Page, room: string, streamId: string, watchedUserId: string, limitMs: number): Promise<string | null> {
  return page.evaluate(
    async ([roomId, id, watched, limit]) => {
      const client = window.client!;
      await client.enterRoom({ roomId });
      await client.publish(roomId, window.media.streams['mic'], { streamId: id });
      const deadline = Date.now() + limit;
      const cameraShown = () => client.room(roomId)?.streams.some((s) => s.streamId === 'cam' && client.room(roomId)?.members.some((m) => m.memberId === s.memberId && m.userId === watched));
      while (!cameraShown()) {
        if (Date.now() > deadline) {
          const room = client.room(roomId);
          const seen = room?.members.some((m) => m.userId === watched);
          return `after ${limit} ms: ${seen ? 'watched tab seen, its camera not' : 'watched tab not seen'} (state ${room?.state}, ${room?.members.length} members)`;
        }
        await new Promise((resolve) => setTimeout(resolve, 50));
      }
      const played = await window.media.play(roomId, 'cam');
      return typeof played === 'object' && played !== null ? `play: ${JSON.stringify(played)}` : null;
    },
    [room, streamId, watchedUserId, limitMs] as const,
  );
}

async function leaveGracefully(member: SoakPage): Promise<void> {
  await member.page.evaluate(() => window.client!.leaveAllRooms());
  await member.context.close();
}

export async function runSoak(options: SoakOptions): Promise<SoakResult> {
  const { churners = 3, sampleEveryMs = 5000, stayMs = [2000, 6000], crashAfterStays = [2, 5], seed = 1 } = options;
  const random = seededRandom(seed);
  const between = ([min, max]: [number, number]) => min + random() * (max - min);
  const tag = `${Date.now().toString(36)}-${seed}`;
  const rooms = Array.from({ length: ROOM_COUNT }, (_, i) => `soak-${i + 1}-${tag}`);
  const result: SoakResult = { rooms, samples: [], entries: 0, crashes: 0, joinMs: [], sent: 0, deliveredMs: [], undelivered: [], failures: [] };
  const sentAt = new Map<string, number>();

  const watched = await openSoakPage(options.watchedBrowser, options.relayUrl, options.healthUrl, 'watched', { ledger: true, persistHistory: true });
  await startWatchedTab(watched.page, rooms);
  const probe = await createMemoryProbe(options.watchedBrowser, watched.page);

  let churnStart = Date.now();
  const take = async (phase: SoakSample['phase']): Promise<SoakSample> => {
    const state = await readWatchedTab(watched.page, rooms);
    for (const message of state.messages) {
      const sent = sentAt.get(message.text);
      if (sent === undefined) continue;
      sentAt.delete(message.text);
      result.deliveredMs.push(message.at - sent);
    }
    const memory = await probe.sample();
    const sample: SoakSample = {
      t: (Date.now() - churnStart) / 1000,
      phase,
      members: state.members,
      memberKeys: state.memberKeys,
      created: state.created,
      open: state.open,
      connected: state.connected,
      pending: state.pending,
      uncollected: state.ledger.constructed - state.ledger.collected,
      playing: state.playing,
      ...memory,
    };
    if (state.ledger.refused > 0) result.failures.push({ userId: 'watched', room: '*', what: `${state.ledger.refused} RTCPeerConnection constructions refused` });
    result.samples.push(sample);
    options.onSample?.(sample, result.samples);
    return sample;
  };

  await take('baseline');
  churnStart = Date.now();
  let stopping = false;

  const churn = async (index: number): Promise<void> => {
    for (let generation = 0; !stopping; generation++) {
      const userId = `churn-${index}-${generation}`;
      let member: SoakPage | undefined;
      try {
        member = await openSoakPage(options.churnBrowser, options.relayUrl, options.healthUrl, userId);
        await member.page.evaluate(() => window.media.open('mic', { video: false }));
        const crashAfter = Math.floor(between([crashAfterStays[0], crashAfterStays[1] + 1]));
        for (let stay = 1; !stopping; stay++) {
          const room = rooms[Math.floor(random() * rooms.length)];
          const entered = Date.now();
          result.entries++;
          const problem = await enterAndPlay(member.page, room, `mic-${userId}`, watched.userId, JOIN_LIMIT_MS);
          if (problem) {
            result.failures.push({ userId, room, what: problem });
            break;
          }
          result.joinMs.push(Date.now() - entered);
          const text = `soak ${userId} #${stay} in ${room}`;
          sentAt.set(text, Date.now());
          result.sent++;
          await member.page.evaluate(([roomId, t]) => window.client!.sendMessage(roomId, t), [room, text] as const);
          await sleep(between(stayMs));
          if (stay >= crashAfter) {
            // A crash as the others see it: no leave, no pagehide; replaced by a fresh context.
            result.crashes++;
            await member.context.close();
            member = undefined;
            break;
          }
          await member.page.evaluate((roomId) => window.client!.leaveRoom(roomId), room);
          await sleep(between([500, 2000]));
        }
      } catch (error) {
        result.failures.push({ userId, room: '?', what: String(error) });
      } finally {
        if (member) await leaveGracefully(member).catch((error: unknown) => result.failures.push({ userId, room: '?', what: `leaving: ${String(error)}` }));
      }
    }
  };

  const churning = Array.from({ length: churners }, (_, i) => churn(i));
  while (Date.now() - churnStart < options.churnMs) {
    const next = Date.now() + sampleEveryMs;
    await take('churn');
    await sleep(Math.max(0, next - Date.now()));
  }
  stopping = true;
  await Promise.all(churning);

  // Everyone else is gone: the watched tab must come back to its baseline (no member, no open
  // connection) within the time a crashed member takes to be declared gone.
  const drainStart = Date.now();
  for (;;) {
    const sample = await take('drain');
    const alone = sample.members.every((m) => m === 0) && sample.open === result.samples[0].open;
    if (alone || Date.now() - drainStart > DRAIN_LIMIT_MS) break;
    await sleep(sampleEveryMs);
  }
  await take('end');
  result.undelivered = [...sentAt.keys()];
  await watched.context.close();
  return result;
}
