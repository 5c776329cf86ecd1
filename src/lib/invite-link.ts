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
