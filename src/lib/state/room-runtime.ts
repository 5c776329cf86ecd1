/**
 * What a session needs only once it is in a room: the room client (Yjs, y-webrtc, the media
 * mesh), the per-room views and breakout state. Most of the app's code is here, so the lobby
 * loads without it and fetches it on demand (Session.preload, Session.enter): a first-time
 * visitor's page stays small [issue 5, Benchmark].
 */
export { createRoomClient } from '$lib/rooms/client';
export { openScreen } from '$lib/media/devices';
export { RoomView } from './room-view.svelte';
export { ClassroomState } from './classroom.svelte';
