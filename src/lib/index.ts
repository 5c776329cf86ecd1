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
export type { User, RoomIdProblem } from './rooms/validation.js';
export { roomIdProblem, MAX_ROOM_ID_LENGTH } from './rooms/validation.js';
export { listDevices, watchDevices, openCamera, openScreen, DEFAULT_CAPTURE } from './media/devices.js';
export type { Device, DeviceList, CameraOptions } from './media/devices.js';
export type { PublishOptions, MediaEvents } from './media/client-media.js';
export type { StreamEvent, PublisherStateEvent, PlayerStateEvent } from './media/room-media.js';
export type { PlayerState } from './media/player.js';
export type { ConnectionQualityEvent, QualityLevel } from './media/quality.js';
export type { SpeakingEvent } from './media/speech.js';
export type { StreamInfo, StreamKind, TrackState } from './media/stream-info.js';
export type { PeerConnectionCount } from './media/peer-connections.js';
export { DEFAULT_UPLOAD_BUDGET_BPS } from './media/encoding-policy.js';
export { openPeerConnections } from './media/peer-connections.js';
