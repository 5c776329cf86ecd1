/** Limits of the room client that the relay and peers rely on (SPEC §2, §3). */

/** Longest destroyDelay a room may ask for, in seconds; the relay enforces the same. */
export const MAX_DESTROY_DELAY_SECONDS = 10_800;
