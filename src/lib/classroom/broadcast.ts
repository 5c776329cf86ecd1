/**
 * The teacher's broadcast to every group is a custom chat message in the main room:
 * every student is in the main room all along (they never leave it for their group), and a late
 * joiner gets the main room's full history, so one message reaches every group, now and
 * later, without the teacher having to be in every group room (they can be in four at most ).
 */
import type { ChatMessage } from '../rooms/schema.js';
import { BreakoutError, BreakoutErrorCode } from './errors.js';

export const BROADCAST_MESSAGE_TYPE = 'breakout-broadcast';
/** Long enough for instructions, short enough to read at a glance. */
export const MAX_BROADCAST_CHARS = 2000;

export interface BroadcastPayload {
  planId: string;
  text: string;
}

export interface BreakoutBroadcast {
  /** The chat message's id in the main room. */
  id: string;
  text: string;
  fromName: string;
  ts: number;
}

/** The custom message to send; INVALID_BROADCAST for empty or overlong text. */
export function broadcastContent(planId: string, text: string): { type: string; payload: BroadcastPayload } {
  const trimmed = typeof text === 'string' ? text.trim() : '';
  if (trimmed.length === 0 || trimmed.length > MAX_BROADCAST_CHARS) {
    throw new BreakoutError(BreakoutErrorCode.INVALID_BROADCAST, `a broadcast is 1–${MAX_BROADCAST_CHARS} characters`);
  }
  return { type: BROADCAST_MESSAGE_TYPE, payload: { planId, text: trimmed } };
}

/** Whether a chat message claims to be a breakout broadcast (not yet whether to believe it). */
export function isBroadcastMessage(message: ChatMessage): boolean {
  return message.custom?.type === BROADCAST_MESSAGE_TYPE;
}

/**
 * The broadcast in a main-room message, when it is one the host sent for this plan; null for
 * anything else (another plan's, someone else's, or a payload that is not one).
 */
export function readBroadcast(message: ChatMessage, hostId: string | undefined, planId: string): BreakoutBroadcast | null {
  if (!isBroadcastMessage(message) || hostId === undefined || message.from.userId !== hostId) return null;
  const payload = message.custom?.payload as Partial<BroadcastPayload> | null | undefined;
  if (typeof payload !== 'object' || payload === null || payload.planId !== planId) return null;
  if (typeof payload.text !== 'string' || payload.text.length === 0 || payload.text.length > MAX_BROADCAST_CHARS) return null;
  return { id: message.id, text: payload.text, fromName: message.from.userName, ts: message.ts };
}
