/**
 * Roles and moderation [R-4][R-40], kept in the room's document so every member derives the
 * same answer:
 *
 *   meta.host        userId of the host (the creator; transferable)
 *   meta.name        the room's name, as its creator gave it (RoomConfig.roomName)
 *   meta.closedAt    when the host closed the room; members who joined before it leave
 *   roles            userId -> 'interactor' | 'audience' (set by the member, or by the host)
 *   bans             userId -> ms until which a kicked user may not be in the room
 *
 * Honest peers enforce these; what a malicious peer can still do is documented with the
 * security work (SECURITY.md, a later issue): Yjs updates carry no proof of who wrote them.
 */
import type { Role } from './members.js';

export const META_KEY = 'meta';
export const ROLES_KEY = 'roles';
export const BANS_KEY = 'bans';

/** How long a kicked user stays out of the room. */
export const BAN_DURATION_MS = 10 * 60 * 1000;

/** Read access to a document map (a Y.Map, or a Map in tests). */
export interface Lookup {
  get(key: string): unknown;
}

export interface ModerationView {
  host: string | undefined;
  roles: Lookup;
}

/** A member's role: host by the document, else the role the document assigns, else their own. */
export function effectiveRole(userId: string, declared: Role, view: ModerationView): Role {
  if (view.host !== undefined && userId === view.host) return 'host';
  const assigned = view.roles.get(userId);
  if (assigned === 'interactor' || assigned === 'audience') return assigned;
  // Only the document makes a host; a member cannot declare itself one.
  return declared === 'host' ? 'interactor' : declared;
}

export function isBanned(userId: string, bans: Lookup, now: number): boolean {
  const until = bans.get(userId);
  return typeof until === 'number' && until > now;
}

/** Whether a close mark applies to a member who joined at `joinedAt` (a room can reopen later). */
export function closedFor(closedAt: unknown, joinedAt: number): boolean {
  return typeof closedAt === 'number' && closedAt >= joinedAt;
}
