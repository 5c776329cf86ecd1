/**
 * Classroom breakout rooms: the plan (plan.ts), group room ids (group-rooms.ts), the
 * teacher's broadcasts (broadcast.ts) and the controller that runs them over a RoomClient.
 */
export { BreakoutController, createBreakoutController, DEFAULT_GRACE_MS } from './controller.js';
export type { BreakoutControllerOptions, BreakoutEvents, BreakoutStudent, EndedReason, StartRequest } from './controller.js';
export { BreakoutError, BreakoutErrorCode, isBreakoutError } from './errors.js';
export {
  BREAKOUT_MODES,
  CHOICE_ATTRIBUTE_KEY,
  MAX_COUNTDOWN_MS,
  MAX_GROUPS,
  MAX_PLAN_BYTES,
  PLAN_ATTRIBUTE_KEY,
  assignStudent,
  autoSplit,
  createPlan,
  groupOf,
  isRunning,
  parsePlan,
  placeLatecomers,
  planProblem,
  remainingMs,
  serializePlan,
} from './plan.js';
export type { BreakoutEndReason, BreakoutMode, BreakoutPlan, PlanRequest } from './plan.js';
export { groupIndexOfRoom, groupRoomId, groupRoomIds } from './group-rooms.js';
export { BROADCAST_MESSAGE_TYPE, MAX_BROADCAST_CHARS } from './broadcast.js';
export type { BreakoutBroadcast } from './broadcast.js';
