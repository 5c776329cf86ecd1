/**
 * Every failure the room client reports is a RoomError with a stable string code (SPEC §3), so
 * callers branch on `err.code`, never on message text. On failure nothing has changed.
 */
export const ErrorCode = {
  INVALID_ROOM_ID: 'INVALID_ROOM_ID',
  INVALID_ROOM_NAME: 'INVALID_ROOM_NAME',
  INVALID_USER_ID: 'INVALID_USER_ID',
  INVALID_USER_NAME: 'INVALID_USER_NAME',
  INVALID_CONFIG: 'INVALID_CONFIG',
  ROOM_LIMIT_EXCEEDED: 'ROOM_LIMIT_EXCEEDED',
  ALREADY_IN_ROOM: 'ALREADY_IN_ROOM',
  ROOM_ALREADY_EXISTS: 'ROOM_ALREADY_EXISTS',
  ROOM_NOT_FOUND: 'ROOM_NOT_FOUND',
  NOT_IN_ROOM: 'NOT_IN_ROOM',
  MEMBER_NOT_FOUND: 'MEMBER_NOT_FOUND',
  /** The relay does not implement the presence extension (a stock y-webrtc server). */
  PRESENCE_UNSUPPORTED: 'PRESENCE_UNSUPPORTED',
  RELAY_UNREACHABLE: 'RELAY_UNREACHABLE',
  WRONG_PASSWORD: 'WRONG_PASSWORD',
  MESSAGE_TOO_LARGE: 'MESSAGE_TOO_LARGE',
  ATTRIBUTE_LIMIT: 'ATTRIBUTE_LIMIT',
  ROLE_FORBIDDEN: 'ROLE_FORBIDDEN',
  NOT_HOST: 'NOT_HOST',
  STREAM_ID_TAKEN: 'STREAM_ID_TAKEN',
  STREAM_NOT_FOUND: 'STREAM_NOT_FOUND',
  INVALID_STREAM: 'INVALID_STREAM',
  /** Media (src/lib/media): camera/microphone/screen could not be opened. */
  PERMISSION_DENIED: 'PERMISSION_DENIED',
  NO_DEVICE: 'NO_DEVICE',
  DEVICE_IN_USE: 'DEVICE_IN_USE',
  /** No camera/microphone API here (not a secure context, or an old browser). */
  MEDIA_UNSUPPORTED: 'MEDIA_UNSUPPORTED',
  DEVICE_ERROR: 'DEVICE_ERROR',
} as const;

export type ErrorCode = (typeof ErrorCode)[keyof typeof ErrorCode];

export class RoomError extends Error {
  override name = 'RoomError';

  constructor(
    readonly code: ErrorCode,
    message: string,
    /** The room the failed operation named, when it named one. */
    readonly roomId?: string,
  ) {
    super(message);
  }
}

export function isRoomError(value: unknown, code?: ErrorCode): value is RoomError {
  return value instanceof RoomError && (code === undefined || value.code === code);
}
