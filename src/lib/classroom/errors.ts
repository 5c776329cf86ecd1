/**
 * Breakout failures: one error class with a stable string code, like RoomError, so the
 * UI branches on `err.code`. Failures of the room client underneath (ROOM_LIMIT_EXCEEDED when
 * visiting a fifth room, NOT_IN_ROOM…) are passed on as the RoomError they are.
 */
export const BreakoutErrorCode = {
  /** Only the main room's host may change the plan, visit groups, broadcast or end [R-4][R-60]. */
  NOT_HOST: 'NOT_HOST',
  /** The operation needs this client to be in the main room. */
  NOT_IN_MAIN_ROOM: 'NOT_IN_MAIN_ROOM',
  /** start() while breakouts are running; end them first. */
  ALREADY_RUNNING: 'ALREADY_RUNNING',
  /** assign/choose/visit/broadcast/end with no breakouts running. */
  NO_ACTIVE_BREAKOUT: 'NO_ACTIVE_BREAKOUT',
  /** A plan the caller asked for is not one: group count, mode, countdown or an assignment out of range. */
  INVALID_PLAN: 'INVALID_PLAN',
  /** A group index that is not one of the plan's groups. */
  INVALID_GROUP: 'INVALID_GROUP',
  /** Choosing a group outside choose mode. */
  WRONG_MODE: 'WRONG_MODE',
  /** The teacher has placed this student; their own choice does not apply. */
  ASSIGNED_BY_HOST: 'ASSIGNED_BY_HOST',
  /** The plan would not fit in one room attribute (ROOM_ATTRIBUTE_LIMITS.maxValueBytes). */
  PLAN_TOO_LARGE: 'PLAN_TOO_LARGE',
  /** A broadcast that is empty or longer than MAX_BROADCAST_CHARS. */
  INVALID_BROADCAST: 'INVALID_BROADCAST',
} as const;

export type BreakoutErrorCode = (typeof BreakoutErrorCode)[keyof typeof BreakoutErrorCode];

export class BreakoutError extends Error {
  override name = 'BreakoutError';

  constructor(
    readonly code: BreakoutErrorCode,
    message: string,
  ) {
    super(message);
  }
}

export function isBreakoutError(value: unknown, code?: BreakoutErrorCode): value is BreakoutError {
  return value instanceof BreakoutError && (code === undefined || value.code === code);
}
