/**
 * The breakout plan: which groups exist and who is in which, kept as one JSON room
 * attribute of the main room so every member (a late one, a reloaded one) derives the same
 * placement from the shared state alone.
 *
 * Everything here is pure: the controller reads and writes the attribute, this file says what a
 * plan is. A plan read from the room was written by some peer, so `parsePlan` checks it and
 * returns null for anything that does not fit; a plan this client is about to write is checked
 * by `assertPlan`, which throws a BreakoutError saying what is wrong.
 */
import { BreakoutError, BreakoutErrorCode } from './errors.js';

/** Room attribute of the main room that holds the plan (JSON). */
export const PLAN_ATTRIBUTE_KEY = 'breakout.plan';
/** Member attribute, in the main room, of a student's own choice in choose mode: `<planId>:<group index>`. */
export const CHOICE_ATTRIBUTE_KEY = 'breakout.choice';

/** Enough for a class; also keeps group room ids short (two digits). */
export const MAX_GROUPS = 20;
/** The longest countdown: the longest a room may outlive its members, 3 h. */
export const MAX_COUNTDOWN_MS = 3 * 60 * 60 * 1000;
/** One room attribute value (ROOM_ATTRIBUTE_LIMITS.maxValueBytes). */
export const MAX_PLAN_BYTES = 8 * 1024;
/** userId limit. */
const MAX_USER_ID_BYTES = 64;

export const BREAKOUT_MODES = ['auto', 'manual', 'choose'] as const;
export type BreakoutMode = (typeof BREAKOUT_MODES)[number];

/** Why breakouts ended: the host ended them, or their countdown ran out. */
export type BreakoutEndReason = 'host' | 'countdown';

export interface BreakoutPlan {
  /** Shape version, so a later shape can be told apart instead of misread. */
  v: 1;
  /** Random per session of breakouts: group room ids and choices carry it, so an old session's never match. */
  id: string;
  /** userId of the host who wrote it; honest clients ignore a plan whose author is not the host. */
  by: string;
  mode: BreakoutMode;
  /** One list of userIds per group; a student is in at most one. In choose mode, who the host placed. */
  groups: string[][];
  /** When the countdown ends (ms since the epoch, the host's clock), or null for none. */
  endsAt: number | null;
  /** Null while running. */
  ended: BreakoutEndReason | null;
}

const PLAN_ID_PATTERN = /^[0-9a-z]{6}$/;
const encoder = new TextEncoder();

function utf8Length(text: string): number {
  return encoder.encode(text).length;
}

/** A fresh plan id: 6 base-36 characters (about 2·10⁹ values). */
export function newPlanId(random: () => number = Math.random): string {
  let id = '';
  for (let i = 0; i < 6; i++) id += Math.floor(random() * 36).toString(36);
  return id;
}

function isUserId(value: unknown): value is string {
  return typeof value === 'string' && value.length > 0 && utf8Length(value) <= MAX_USER_ID_BYTES;
}

/** What is wrong with `value` as a plan, or null when it is one. */
export function planProblem(value: unknown): string | null {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return 'a plan is an object';
  const plan = value as Partial<Record<keyof BreakoutPlan, unknown>>;
  if (plan.v !== 1) return 'unknown plan version';
  if (typeof plan.id !== 'string' || !PLAN_ID_PATTERN.test(plan.id)) return 'a plan id is 6 characters of 0-9 a-z';
  if (!isUserId(plan.by)) return 'the author is a userId';
  if (!BREAKOUT_MODES.includes(plan.mode as BreakoutMode)) return `mode is one of ${BREAKOUT_MODES.join(', ')}`;
  if (!Array.isArray(plan.groups) || plan.groups.length < 1 || plan.groups.length > MAX_GROUPS) return `there are 1–${MAX_GROUPS} groups`;
  const seen = new Set<string>();
  for (const group of plan.groups as unknown[]) {
    if (!Array.isArray(group)) return 'a group is a list of userIds';
    for (const userId of group as unknown[]) {
      if (!isUserId(userId)) return 'a group is a list of userIds';
      if (seen.has(userId)) return `"${userId}" is in two groups`;
      if (userId === plan.by) return 'the host is not placed in a group';
      seen.add(userId);
    }
  }
  if (plan.endsAt !== null && !(typeof plan.endsAt === 'number' && Number.isFinite(plan.endsAt) && plan.endsAt > 0)) return 'endsAt is a time or null';
  if (plan.ended !== null && plan.ended !== 'host' && plan.ended !== 'countdown') return 'ended is host, countdown or null';
  return null;
}

/** Throws INVALID_PLAN unless `plan` is a plan. */
export function assertPlan(plan: unknown): asserts plan is BreakoutPlan {
  const problem = planProblem(plan);
  if (problem) throw new BreakoutError(BreakoutErrorCode.INVALID_PLAN, problem);
}

/** The plan a peer wrote, or null when the text is not JSON of a plan. Only known fields are kept. */
export function parsePlan(raw: unknown): BreakoutPlan | null {
  if (typeof raw !== 'string' || utf8Length(raw) > MAX_PLAN_BYTES) return null;
  let value: unknown;
  try {
    value = JSON.parse(raw);
  } catch {
    // Peer input that is not JSON is simply not a plan.
    return null;
  }
  if (planProblem(value) !== null) return null;
  const { id, by, mode, groups, endsAt, ended } = value as BreakoutPlan;
  return { v: 1, id, by, mode, groups: groups.map((group) => [...group]), endsAt, ended };
}

/** The attribute value for a plan; PLAN_TOO_LARGE when it would not fit in one attribute. */
export function serializePlan(plan: BreakoutPlan): string {
  assertPlan(plan);
  const text = JSON.stringify(plan);
  const bytes = utf8Length(text);
  if (bytes > MAX_PLAN_BYTES) {
    throw new BreakoutError(BreakoutErrorCode.PLAN_TOO_LARGE, `the plan is ${bytes} bytes; a room attribute holds ${MAX_PLAN_BYTES} (fewer or shorter user ids)`);
  }
  return text;
}

/** Shuffles the students and deals them round the groups: sizes differ by at most one. */
export function autoSplit(userIds: readonly string[], groupCount: number, random: () => number = Math.random): string[][] {
  const shuffled = [...new Set(userIds)];
  for (let i = shuffled.length - 1; i > 0; i--) {
    const j = Math.floor(random() * (i + 1));
    [shuffled[i], shuffled[j]] = [shuffled[j], shuffled[i]];
  }
  const groups: string[][] = Array.from({ length: groupCount }, () => []);
  shuffled.forEach((userId, i) => groups[i % groupCount].push(userId));
  return groups;
}

export interface PlanRequest {
  groupCount: number;
  mode: BreakoutMode;
  /** Students in the main room now (userIds); auto mode splits them. */
  students: readonly string[];
  /** userId → group index: manual mode's assignment, or choose mode's pre-placed students. */
  assignments?: Readonly<Record<string, number>>;
  /** Countdown length, or null/0 for none. */
  durationMs?: number | null;
}

/** A new running plan written by `host`; INVALID_PLAN when the request is out of range. */
export function createPlan(request: PlanRequest, host: string, now: number, random: () => number = Math.random): BreakoutPlan {
  const { groupCount, mode, students, assignments = {}, durationMs = null } = request;
  if (!Number.isInteger(groupCount) || groupCount < 1 || groupCount > MAX_GROUPS) {
    throw new BreakoutError(BreakoutErrorCode.INVALID_PLAN, `the number of groups is a whole number from 1 to ${MAX_GROUPS}`);
  }
  if (!BREAKOUT_MODES.includes(mode)) throw new BreakoutError(BreakoutErrorCode.INVALID_PLAN, `mode is one of ${BREAKOUT_MODES.join(', ')}`);
  if (durationMs !== null && !(Number.isFinite(durationMs) && durationMs >= 0 && durationMs <= MAX_COUNTDOWN_MS)) {
    throw new BreakoutError(BreakoutErrorCode.INVALID_PLAN, `a countdown is from 0 to ${MAX_COUNTDOWN_MS / 60_000} minutes`);
  }
  const others = students.filter((userId) => userId !== host);
  let groups: string[][];
  if (mode === 'auto') {
    groups = autoSplit(others, groupCount, random);
  } else {
    groups = Array.from({ length: groupCount }, () => []);
    for (const [userId, index] of Object.entries(assignments)) {
      if (!Number.isInteger(index) || index < 0 || index >= groupCount) {
        throw new BreakoutError(BreakoutErrorCode.INVALID_GROUP, `"${userId}" is assigned to group ${index + 1}; there are ${groupCount}`);
      }
      groups[index].push(userId);
    }
  }
  const plan: BreakoutPlan = { v: 1, id: newPlanId(random), by: host, mode, groups, endsAt: durationMs ? now + durationMs : null, ended: null };
  assertPlan(plan);
  return plan;
}

function assertGroupIndex(plan: BreakoutPlan, groupIndex: number): void {
  if (!Number.isInteger(groupIndex) || groupIndex < 0 || groupIndex >= plan.groups.length) {
    throw new BreakoutError(BreakoutErrorCode.INVALID_GROUP, `there is no group ${groupIndex + 1}; there are ${plan.groups.length}`);
  }
}

/** The plan with `userId` moved to `groupIndex`, or out of every group with null. */
export function assignStudent(plan: BreakoutPlan, userId: string, groupIndex: number | null): BreakoutPlan {
  if (groupIndex !== null) assertGroupIndex(plan, groupIndex);
  if (userId === plan.by) throw new BreakoutError(BreakoutErrorCode.INVALID_PLAN, 'the host is not placed in a group; they visit');
  const groups = plan.groups.map((group) => group.filter((member) => member !== userId));
  if (groupIndex !== null) groups[groupIndex].push(userId);
  const next = { ...plan, groups };
  assertPlan(next);
  return next;
}

/** The plan with each of `userIds` not yet placed put into the smallest group (the first on a tie). */
export function placeLatecomers(plan: BreakoutPlan, userIds: readonly string[]): BreakoutPlan {
  const placed = new Set(plan.groups.flat());
  const groups = plan.groups.map((group) => [...group]);
  for (const userId of userIds) {
    if (placed.has(userId) || userId === plan.by) continue;
    const smallest = groups.reduce((best, group, index) => (group.length < groups[best].length ? index : best), 0);
    groups[smallest].push(userId);
    placed.add(userId);
  }
  return { ...plan, groups };
}

/** The choice attribute value for a group of this plan. */
export function choiceValue(plan: BreakoutPlan, groupIndex: number): string {
  assertGroupIndex(plan, groupIndex);
  return `${plan.id}:${groupIndex}`;
}

/**
 * The group a student is in: where the host placed them, else (choose mode) what they chose
 * for this plan, else null. The host's placement wins so the teacher can always move someone.
 */
export function groupOf(plan: BreakoutPlan, userId: string, choice?: string): number | null {
  const placed = plan.groups.findIndex((group) => group.includes(userId));
  if (placed >= 0) return placed;
  if (plan.mode !== 'choose' || typeof choice !== 'string') return null;
  const match = /^([0-9a-z]{6}):(\d{1,2})$/.exec(choice);
  if (!match || match[1] !== plan.id) return null;
  const index = Number(match[2]);
  return index < plan.groups.length ? index : null;
}

/**
 * Whether breakouts are on at `now`. `graceMs` is how long past the countdown a client still
 * counts them on: 0 for the host, who ends them; a little for students, who end on their own only
 * when the host has not (gone, or a throttled background tab) — see controller.ts.
 */
export function isRunning(plan: BreakoutPlan | null, now: number, graceMs = 0): plan is BreakoutPlan {
  return plan !== null && plan.ended === null && (plan.endsAt === null || now < plan.endsAt + graceMs);
}

/** Milliseconds left on the countdown (never negative), or null without one. */
export function remainingMs(plan: BreakoutPlan, now: number): number | null {
  return plan.endsAt === null ? null : Math.max(0, plan.endsAt - now);
}
