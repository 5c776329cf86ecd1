export { createRelay, CloseCode, type Relay, type RelayStats } from './relay.js';
export { listenRelay, type ListeningRelay } from './listen.js';
export { DEFAULT_RELAY_OPTIONS, MAX_DESTROY_DELAY_SECONDS, resolveRelayOptions, RelayConfigError, type RelayOptions } from './options.js';
export type { ClientMessage, ServerMessage, RoomInfo, RoomErrorCode, FrameErrorCode, EnterMode } from './protocol.js';
