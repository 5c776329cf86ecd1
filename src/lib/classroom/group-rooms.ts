/**
 * Group room ids: derived from the main room id and the plan, so every client finds the
 * same rooms without asking anyone, and a new session of breakouts (a new plan id) never lands
 * in an old session's rooms. Always a valid room id: the main room's id is, and the suffix
 * uses only `~`, `.`, 0-9 and a-z.
 */
import { isValidRoomId } from '../rooms/validation.js';
import type { BreakoutPlan } from './plan.js';

const MAX_ROOM_ID = 32;
/** `~` + 6-character plan id + `.` + up to two digits. */
const SUFFIX_LENGTH = 1 + 6 + 1 + 2;

export function groupRoomId(mainRoomId: string, plan: Pick<BreakoutPlan, 'id'>, groupIndex: number): string {
  const roomId = `${mainRoomId.slice(0, MAX_ROOM_ID - SUFFIX_LENGTH)}~${plan.id}.${groupIndex + 1}`;
  // Unreachable with a valid main room id and plan; a wrong id must not reach the relay.
  if (!isValidRoomId(roomId)) throw new Error(`group room id "${roomId}" is not a valid room id`);
  return roomId;
}

/** Every group room of a plan, in group order. */
export function groupRoomIds(mainRoomId: string, plan: BreakoutPlan): string[] {
  return plan.groups.map((_, index) => groupRoomId(mainRoomId, plan, index));
}

/** Which group of `plan` a room is, or null when it is not one of its rooms. */
export function groupIndexOfRoom(mainRoomId: string, plan: BreakoutPlan, roomId: string): number | null {
  const index = groupRoomIds(mainRoomId, plan).indexOf(roomId);
  return index >= 0 ? index : null;
}
