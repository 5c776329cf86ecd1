/**
 * Mesh Rooms client library: the stable entry point (SPEC §3).
 */
export { createRoomClient, RoomClient, DEFAULT_MAX_ROOMS } from './rooms/client.js';
export type { RoomClientOptions, RoomClientEvents, RoomConfig, RoomInfo, RoomSnapshot, SwitchOptions } from './rooms/client.js';
export type { ChatMessage, CustomContent } from './rooms/schema.js';
export { MAX_MESSAGE_BYTES, ROOM_ATTRIBUTE_LIMITS, MEMBER_ATTRIBUTE_LIMITS } from './rooms/schema.js';
export { ErrorCode, RoomError, isRoomError } from './rooms/errors.js';
export type { Member, Role, LeaveReason } from './rooms/members.js';
export type { RoomState, StateReason, StateChange } from './rooms/room-state.js';
export type { User } from './rooms/validation.js';
