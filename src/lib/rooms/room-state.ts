/**
 * One state machine per room: the allowed transitions of SPEC §4 in one table, and one
 * `set()` that checks, logs `from -> to` and reports the change.
 *
 *   enter:   connecting(entering) -> connected(entered), or disconnected(<error code>)
 *   switch:  new room connecting(switching) -> connected(entered); on failure the new room
 *            goes disconnected(switch-failed) and the old one is untouched
 *   network: connected -> reconnecting(network-lost) -> connected(reconnected)
 *            or disconnected(reconnect-failed)
 *
 * `disconnected` is final: entering the room again starts a new machine.
 */
import { ErrorCode } from './errors.js';

export type RoomState = 'connecting' | 'connected' | 'reconnecting' | 'disconnected';

export type StateReason =
  | 'entering'
  | 'entered'
  | 'switching'
  | 'switch-failed'
  | 'left'
  | 'kicked'
  | 'room-closed'
  | 'network-lost'
  | 'reconnected'
  | 'reconnect-failed'
  | 'wrong-password'
  /** An enter that failed ends in disconnected with the failure's code as the reason. */
  | ErrorCode;

export interface StateChange {
  state: RoomState;
  reason: StateReason;
  previous: RoomState | null;
}

/** Ways out of a room that can happen in any live state. */
const ENDINGS = ['left', 'kicked', 'room-closed', 'wrong-password'] as const;

const TRANSITIONS: Record<RoomState | 'new', Partial<Record<RoomState, readonly StateReason[] | 'error-code'>>> = {
  new: { connecting: ['entering', 'switching'] },
  connecting: { connected: ['entered'], disconnected: 'error-code' },
  connected: { reconnecting: ['network-lost'], disconnected: ENDINGS },
  reconnecting: { connected: ['reconnected'], disconnected: ['reconnect-failed', ...ENDINGS] },
  disconnected: {},
};

/** How an attempt to connect can end: the named reasons, or the failure's error code. */
const CONNECTING_FAILURES = new Set<string>(['switch-failed', ...ENDINGS, ...Object.values(ErrorCode)]);

export function isAllowedTransition(from: RoomState | null, to: RoomState, reason: StateReason): boolean {
  const allowed = TRANSITIONS[from ?? 'new'][to];
  if (allowed === undefined) return false;
  if (allowed === 'error-code') return CONNECTING_FAILURES.has(reason);
  return allowed.includes(reason);
}

export class InvalidTransitionError extends Error {
  override name = 'InvalidTransitionError';
}

export class RoomStateMachine {
  #state: RoomState | null = null;

  constructor(
    private readonly roomId: string,
    private readonly onChange: (change: StateChange) => void,
    private readonly log: (line: string) => void = () => {},
  ) {}

  get state(): RoomState | null {
    return this.#state;
  }

  get isLive(): boolean {
    return this.#state !== null && this.#state !== 'disconnected';
  }

  /** Moves to `next`; a transition SPEC §4 does not allow is a bug in the client and throws. */
  set(next: RoomState, reason: StateReason): void {
    const previous = this.#state;
    if (!isAllowedTransition(previous, next, reason)) {
      throw new InvalidTransitionError(`room ${this.roomId}: ${previous ?? 'new'} -> ${next}(${reason}) is not allowed`);
    }
    this.#state = next;
    this.log(`room ${this.roomId}: ${previous ?? 'new'} -> ${next} (${reason})`);
    this.onChange({ state: next, reason, previous });
  }
}
