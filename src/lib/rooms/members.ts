/**
 * Members come from Yjs awareness: every tab in a room publishes one awareness state.
 * A remote state is peer input, so it is checked before it becomes a Member: a malformed one
 * is ignored (that peer is simply not listed) instead of breaking the room for everyone.
 */
import { MAX_USER_ID_BYTES, MAX_USER_NAME_BYTES, utf8Length, type User } from './validation.js';
import { MEMBER_ATTRIBUTE_LIMITS, readAttributes } from './schema.js';
import { readStreams, sameStream, type StreamInfo } from '../media/stream-info.js';

export type Role = 'host' | 'interactor' | 'audience';
const ROLES: readonly Role[] = ['host', 'interactor', 'audience'];

/** What this tab publishes in a room's awareness. */
export interface AwarenessState {
  user: User;
  role: Role;
  /** ms since the epoch, when this member entered. */
  joinedAt: number;
  /** Member attributes. */
  attributes: Record<string, string>;
  /** Streams published into this room, keyed by streamId [R-53] (media/stream-info.ts). */
  streams?: Record<string, unknown>;
}

export interface Member extends User {
  /** This member's awareness client id: one per tab per room. */
  memberId: string;
  role: Role;
  joinedAt: number;
  attributes: Record<string, string>;
  /** What this member publishes in this room, with mic/camera on or off. */
  streams: StreamInfo[];
  isLocal: boolean;
}

export function toMember(clientId: number, state: unknown, localClientId: number): Member | null {
  if (typeof state !== 'object' || state === null) return null;
  const { user, role, joinedAt, attributes, streams } = state as Partial<Record<keyof AwarenessState, unknown>>;
  if (typeof user !== 'object' || user === null) return null;
  const { userId, userName } = user as Partial<Record<keyof User, unknown>>;
  if (typeof userId !== 'string' || userId.length === 0 || utf8Length(userId) > MAX_USER_ID_BYTES) return null;
  if (typeof userName !== 'string' || utf8Length(userName) > MAX_USER_NAME_BYTES) return null;
  if (!ROLES.includes(role as Role)) return null;
  if (typeof joinedAt !== 'number' || !Number.isFinite(joinedAt)) return null;
  const memberAttributes = typeof attributes === 'object' && attributes !== null ? readAttributes(Object.entries(attributes), MEMBER_ATTRIBUTE_LIMITS) : {};
  return { memberId: String(clientId), userId, userName, role: role as Role, joinedAt, attributes: memberAttributes, streams: readStreams(streams), isLocal: clientId === localClientId };
}

/** Whether what others see of a member changed (role, name, attributes, streams). */
export function memberChanged(a: Member, b: Member): boolean {
  return (
    a.role !== b.role ||
    a.userName !== b.userName ||
    JSON.stringify(a.attributes) !== JSON.stringify(b.attributes) ||
    a.streams.length !== b.streams.length ||
    a.streams.some((stream, index) => !sameStream(stream, b.streams[index]))
  );
}

export type LeaveReason = 'left' | 'timeout' | 'kicked';

/**
 * y-protocols removes a state with origin 'timeout' when a peer has been silent for 30 s;
 * a graceful leave (leaveRoom, tab closed) arrives as a removal from the peer itself.
 */
export function leaveReason(origin: unknown): LeaveReason {
  return origin === 'timeout' ? 'timeout' : 'left';
}
