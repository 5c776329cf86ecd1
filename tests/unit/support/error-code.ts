import { isRoomError } from '../../../src/lib/rooms/errors.js';

/** The RoomError code `fn` throws, undefined if it does not throw, or a note if it throws something else. */
export function codeOf(fn: () => void): string | undefined {
  try {
    fn();
  } catch (err) {
    return isRoomError(err) ? err.code : `not a RoomError: ${String(err)}`;
  }
  return undefined;
}

/** The RoomError code (or message) `operation` rejects with, undefined if it resolves. */
export async function rejectionCode(operation: Promise<unknown>): Promise<string | undefined> {
  try {
    await operation;
  } catch (err) {
    return (err as { code?: string }).code ?? String(err);
  }
  return undefined;
}
