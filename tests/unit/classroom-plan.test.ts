/**
 * The breakout plan's pure logic: split, assign, choose, validation, countdown, and the
 * group room ids it derives.
 */
import { describe, expect, it } from 'vitest';
import {
  BreakoutErrorCode,
  MAX_GROUPS,
  MAX_PLAN_BYTES,
  assignStudent,
  autoSplit,
  createPlan,
  groupOf,
  groupIndexOfRoom,
  groupRoomId,
  groupRoomIds,
  isRunning,
  parsePlan,
  placeLatecomers,
  remainingMs,
  serializePlan,
  type BreakoutPlan,
} from '../../src/lib/classroom/index.js';
import { choiceValue } from '../../src/lib/classroom/plan.js';
import { broadcastContent, readBroadcast } from '../../src/lib/classroom/broadcast.js';
import { isValidRoomId } from '../../src/lib/rooms/validation.js';
import type { ChatMessage } from '../../src/lib/rooms/schema.js';

/** A seeded generator, so a split is the same on every run. */
function seeded(seed: number): () => number {
  let state = seed;
  return () => {
    state = (state * 1103515245 + 12345) % 2147483648;
    return state / 2147483648;
  };
}

function codeOf(fn: () => unknown): string | undefined {
  try {
    fn();
  } catch (err) {
    return (err as { code?: string }).code ?? String(err);
  }
  return undefined;
}

const NOW = 1_700_000_000_000;
const students = ['ann', 'ben', 'cat', 'dan', 'eve'];

function plan(overrides: Partial<BreakoutPlan> = {}): BreakoutPlan {
  return { v: 1, id: 'abc123', by: 'teacher', mode: 'manual', groups: [['ann'], ['ben']], endsAt: null, ended: null, ...overrides };
}

describe('auto split [R-60]', () => {
  it('[R-60] every student lands in exactly one group, sizes differ by at most one', () => {
    for (const groupCount of [1, 2, 3, 5, 7]) {
      const groups = autoSplit(students, groupCount, seeded(groupCount));
      expect(groups).toHaveLength(groupCount);
      expect(groups.flat().sort()).toEqual([...students].sort());
      const sizes = groups.map((group) => group.length);
      expect(Math.max(...sizes) - Math.min(...sizes)).toBeLessThanOrEqual(1);
    }
  });

  it('[R-60] the split is shuffled, not the join order', () => {
    const orders = new Set(Array.from({ length: 10 }, (_, seed) => JSON.stringify(autoSplit(students, 2, seeded(seed + 1)))));
    expect(orders.size).toBeGreaterThan(1);
  });

  it('[R-60] a user twice in the list (two tabs) is placed once', () => {
    expect(autoSplit(['ann', 'ann', 'ben'], 2, seeded(3)).flat().sort()).toEqual(['ann', 'ben']);
  });
});

describe('creating a plan [R-60]', () => {
  it('[R-60] auto mode splits the students but never the host; the countdown becomes an end time', () => {
    const created = createPlan({ groupCount: 2, mode: 'auto', students: ['teacher', ...students], durationMs: 5 * 60_000 }, 'teacher', NOW, seeded(1));
    expect(created.groups.flat().sort()).toEqual([...students].sort());
    expect(created.by).toBe('teacher');
    expect(created.endsAt).toBe(NOW + 5 * 60_000);
    expect(created.ended).toBeNull();
    expect(created.id).toMatch(/^[0-9a-z]{6}$/);
  });

  it('[R-60] manual mode places who the host assigned, and no one else; no countdown without one', () => {
    const created = createPlan({ groupCount: 3, mode: 'manual', students, assignments: { ann: 2, ben: 0 } }, 'teacher', NOW);
    expect(created.groups).toEqual([['ben'], [], ['ann']]);
    expect(created.endsAt).toBeNull();
  });

  it('[R-60] choose mode starts with empty groups', () => {
    expect(createPlan({ groupCount: 2, mode: 'choose', students }, 'teacher', NOW).groups).toEqual([[], []]);
  });

  it('[R-60] out-of-range requests fail with a typed error', () => {
    const host = 'teacher';
    expect(codeOf(() => createPlan({ groupCount: 0, mode: 'auto', students }, host, NOW))).toBe(BreakoutErrorCode.INVALID_PLAN);
    expect(codeOf(() => createPlan({ groupCount: MAX_GROUPS + 1, mode: 'auto', students }, host, NOW))).toBe(BreakoutErrorCode.INVALID_PLAN);
    expect(codeOf(() => createPlan({ groupCount: 2.5, mode: 'auto', students }, host, NOW))).toBe(BreakoutErrorCode.INVALID_PLAN);
    expect(codeOf(() => createPlan({ groupCount: 2, mode: 'random' as 'auto', students }, host, NOW))).toBe(BreakoutErrorCode.INVALID_PLAN);
    expect(codeOf(() => createPlan({ groupCount: 2, mode: 'auto', students, durationMs: -1 }, host, NOW))).toBe(BreakoutErrorCode.INVALID_PLAN);
    expect(codeOf(() => createPlan({ groupCount: 2, mode: 'auto', students, durationMs: 4 * 3600_000 }, host, NOW))).toBe(BreakoutErrorCode.INVALID_PLAN);
    expect(codeOf(() => createPlan({ groupCount: 2, mode: 'manual', students, assignments: { ann: 2 } }, host, NOW))).toBe(BreakoutErrorCode.INVALID_GROUP);
    expect(codeOf(() => createPlan({ groupCount: 2, mode: 'manual', students, assignments: { teacher: 0 } }, host, NOW))).toBe(BreakoutErrorCode.INVALID_PLAN);
  });
});

describe('assigning [R-60]', () => {
  it('[R-60] moving a student takes them out of their old group; null takes them out of all', () => {
    const moved = assignStudent(plan(), 'ann', 1);
    expect(moved.groups).toEqual([[], ['ben', 'ann']]);
    expect(assignStudent(moved, 'ann', null).groups).toEqual([[], ['ben']]);
    expect(assignStudent(plan(), 'cat', 0).groups).toEqual([['ann', 'cat'], ['ben']]);
  });

  it('[R-60] a group that does not exist, or placing the host, is refused', () => {
    expect(codeOf(() => assignStudent(plan(), 'ann', 2))).toBe(BreakoutErrorCode.INVALID_GROUP);
    expect(codeOf(() => assignStudent(plan(), 'ann', -1))).toBe(BreakoutErrorCode.INVALID_GROUP);
    expect(codeOf(() => assignStudent(plan(), 'teacher', 0))).toBe(BreakoutErrorCode.INVALID_PLAN);
  });

  it('[R-60] latecomers go to the smallest group, the first on a tie; those placed stay', () => {
    const next = placeLatecomers(plan({ groups: [['ann', 'ben'], ['cat'], []] }), ['ann', 'dan', 'eve', 'fay', 'teacher']);
    expect(next.groups).toEqual([['ann', 'ben'], ['cat', 'eve'], ['dan', 'fay']]);
  });
});

describe('choosing [R-60]', () => {
  it('[R-60] in choose mode a student is in the group they chose for this plan', () => {
    const choosing = plan({ mode: 'choose', groups: [[], [], []] });
    expect(groupOf(choosing, 'cat', choiceValue(choosing, 2))).toBe(2);
    expect(groupOf(choosing, 'cat', undefined)).toBeNull();
  });

  it('[R-60] a choice for another plan, out of range or garbled counts for nothing', () => {
    const choosing = plan({ mode: 'choose', groups: [[], []] });
    for (const choice of ['zzz999:1', 'abc123:2', 'abc123:-1', 'abc123', '', 'abc123:1:1']) expect(groupOf(choosing, 'cat', choice), choice).toBeNull();
  });

  it('[R-60] the host placing a student wins over their choice; outside choose mode choices are ignored', () => {
    const choosing = plan({ mode: 'choose', groups: [['cat'], []] });
    expect(groupOf(choosing, 'cat', 'abc123:1')).toBe(0);
    expect(groupOf(plan({ groups: [[], []] }), 'cat', 'abc123:1')).toBeNull();
    expect(codeOf(() => choiceValue(choosing, 5))).toBe(BreakoutErrorCode.INVALID_GROUP);
  });
});

describe('reading and writing the plan [R-60]', () => {
  it('[R-60] a written plan reads back the same', () => {
    const written = plan({ endsAt: NOW + 1000 });
    expect(parsePlan(serializePlan(written))).toEqual(written);
  });

  it('[R-60] what a peer wrote that is not a plan reads as null', () => {
    const bad: unknown[] = [
      'not json',
      '{"v":1',
      'null',
      '[]',
      JSON.stringify({ ...plan(), v: 2 }),
      JSON.stringify({ ...plan(), id: 'ABC' }),
      JSON.stringify({ ...plan(), by: '' }),
      JSON.stringify({ ...plan(), mode: 'random' }),
      JSON.stringify({ ...plan(), groups: [] }),
      JSON.stringify({ ...plan(), groups: Array.from({ length: MAX_GROUPS + 1 }, () => []) }),
      JSON.stringify({ ...plan(), groups: [['ann'], ['ann']] }),
      JSON.stringify({ ...plan(), groups: [['teacher']] }),
      JSON.stringify({ ...plan(), groups: [[42]] }),
      JSON.stringify({ ...plan(), groups: ['ann'] }),
      JSON.stringify({ ...plan(), endsAt: 'soon' }),
      JSON.stringify({ ...plan(), ended: 'maybe' }),
      42,
      undefined,
    ];
    for (const raw of bad) expect(parsePlan(raw), String(raw)).toBeNull();
  });

  it('[R-60] unknown fields a peer adds are dropped, not carried along', () => {
    expect(parsePlan(JSON.stringify({ ...plan(), extra: 'x'.repeat(100) }))).toEqual(plan());
  });

  it('[R-60][R-21] a plan that would not fit in one room attribute is refused with PLAN_TOO_LARGE', () => {
    // A class of 150 with UUID user ids (36 characters) fits; 250 does not.
    const uuid = (i: number) => `00000000-0000-4000-8000-${String(i).padStart(12, '0')}`;
    const fits = Array.from({ length: 150 }, (_, i) => uuid(i));
    expect(serializePlan(plan({ groups: [fits.slice(0, 75), fits.slice(75)] })).length).toBeLessThanOrEqual(MAX_PLAN_BYTES);
    const many = Array.from({ length: 250 }, (_, i) => uuid(i));
    expect(codeOf(() => serializePlan(plan({ groups: [many] })))).toBe(BreakoutErrorCode.PLAN_TOO_LARGE);
  });

  it('[R-60] writing something that is not a plan fails with INVALID_PLAN', () => {
    expect(codeOf(() => serializePlan(plan({ groups: [['ann'], ['ann']] })))).toBe(BreakoutErrorCode.INVALID_PLAN);
  });
});

describe('countdown [R-60]', () => {
  it('[R-60] runs until its end time, then stops; students get a grace the host does not', () => {
    const timed = plan({ endsAt: NOW + 60_000 });
    expect(isRunning(timed, NOW)).toBe(true);
    expect(remainingMs(timed, NOW)).toBe(60_000);
    expect(isRunning(timed, NOW + 60_000)).toBe(false);
    expect(isRunning(timed, NOW + 60_000, 10_000)).toBe(true);
    expect(isRunning(timed, NOW + 70_000, 10_000)).toBe(false);
    expect(remainingMs(timed, NOW + 90_000)).toBe(0);
  });

  it('[R-60] no countdown runs until ended; an ended plan is not running', () => {
    expect(isRunning(plan(), NOW + 1e9)).toBe(true);
    expect(remainingMs(plan(), NOW)).toBeNull();
    expect(isRunning(plan({ ended: 'host' }), NOW)).toBe(false);
    expect(isRunning(null, NOW)).toBe(false);
  });
});

describe('group room ids [R-60][R-2]', () => {
  it('[R-2] are valid room ids even for the longest main room id with every allowed character', () => {
    const longest = '!#$%&()+-:;<=.>?@[]^_{}|~azAZ09xy';
    expect(longest).toHaveLength(33);
    const main = longest.slice(0, 32);
    const ids = groupRoomIds(main, plan({ groups: Array.from({ length: MAX_GROUPS }, () => []) }));
    expect(ids).toHaveLength(MAX_GROUPS);
    for (const id of ids) expect(isValidRoomId(id), id).toBe(true);
    expect(new Set(ids).size).toBe(MAX_GROUPS);
  });

  it('[R-60] differ between plans and main rooms, and map back to their group', () => {
    const a = plan();
    expect(groupRoomId('class', a, 0)).not.toBe(groupRoomId('class', { id: 'zzz999' }, 0));
    expect(groupRoomId('class', a, 0)).not.toBe(groupRoomId('class2', a, 0));
    expect(groupIndexOfRoom('class', a, groupRoomId('class', a, 1))).toBe(1);
    expect(groupIndexOfRoom('class', a, 'class')).toBeNull();
  });
});

describe('broadcast messages [R-60]', () => {
  const message = (userId: string, payload: unknown): ChatMessage => ({
    id: 'm1',
    from: { memberId: '1', userId, userName: userId },
    ts: NOW,
    custom: { type: 'breakout-broadcast', payload },
  });

  it('[R-60] the host’s broadcast for this plan is read; another plan’s, another sender’s or a garbled one is not', () => {
    const content = broadcastContent('abc123', '  Five minutes left  ');
    expect(readBroadcast(message('teacher', content.payload), 'teacher', 'abc123')).toEqual({ id: 'm1', text: 'Five minutes left', fromName: 'teacher', ts: NOW });
    expect(readBroadcast(message('ann', content.payload), 'teacher', 'abc123')).toBeNull();
    expect(readBroadcast(message('teacher', content.payload), 'teacher', 'zzz999')).toBeNull();
    expect(readBroadcast(message('teacher', content.payload), undefined, 'abc123')).toBeNull();
    expect(readBroadcast(message('teacher', { planId: 'abc123', text: 7 }), 'teacher', 'abc123')).toBeNull();
    expect(readBroadcast(message('teacher', null), 'teacher', 'abc123')).toBeNull();
  });

  it('[R-60] an empty or overlong broadcast is refused with INVALID_BROADCAST', () => {
    expect(codeOf(() => broadcastContent('abc123', '   '))).toBe(BreakoutErrorCode.INVALID_BROADCAST);
    expect(codeOf(() => broadcastContent('abc123', 'x'.repeat(2001)))).toBe(BreakoutErrorCode.INVALID_BROADCAST);
  });
});
