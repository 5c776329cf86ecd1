/**
 * Where the time goes while a room connects (`bench:media -- --trace`): the client, its rooms
 * and their media report named steps here — relay entry, announces, data and media connections
 * — each with the room and the peer or member it concerns. Nothing is recorded unless a
 * RoomClient is given `trace` (RoomClientOptions); the default does nothing.
 */
export type Trace = (event: string, detail: Record<string, unknown>) => void;

export const NO_TRACE: Trace = () => {};
