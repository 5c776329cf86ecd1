/**
 * Invite links: `/r/<roomId>` names one room, `/r/<a>,<b>` or `/r/<a>/<b>` several. Neither `,`
 * nor `/` can occur in a room id, so both separate unambiguously.
 */
export function roomsFromInvitePath(rest: string): string[] {
  const rooms = rest
    .split(/[/,]/)
    .map((part) => part.trim())
    .filter(Boolean);
  return [...new Set(rooms)];
}

/** The link that opens these rooms: `/r/<a>,<b>` on the app's origin. */
export function inviteLink(pageUrl: URL, roomIds: string[]): string {
  return `${pageUrl.origin}/r/${roomIds.map(encodeURIComponent).join(',')}`;
}
