/**
 * What a room's Y.Doc holds, and the limits on it [R-20][R-21][R-22]:
 *
 *   messages    Y.Array<ChatMessage>     chat, in one order for every member (Yjs orders
 *                                        concurrent inserts the same way everywhere)
 *   attributes  Y.Map<string>            room attributes, string -> string
 *
 * Member attributes live in each member's awareness state (they vanish with the member).
 *
 * Everything read from the document or from awareness was written by some peer, so it is
 * checked on the way out: an entry that does not fit is skipped, never trusted.
 */
import { ErrorCode, RoomError } from './errors.js';
import { utf8Length } from './validation.js';

export const MESSAGES_KEY = 'messages';
export const ATTRIBUTES_KEY = 'attributes';

/** Largest chat message: its text, or its custom type + JSON payload. */
export const MAX_MESSAGE_BYTES = 32 * 1024;

/** Room attributes. */
export const ROOM_ATTRIBUTE_LIMITS = { maxCount: 100, maxKeyBytes: 128, maxValueBytes: 8 * 1024 } as const;
/** Member attributes [R-22] (hand raised, mic/camera state…): small, one set per member. */
export const MEMBER_ATTRIBUTE_LIMITS = { maxCount: 32, maxKeyBytes: 64, maxValueBytes: 1024 } as const;

export interface CustomContent {
  type: string;
  payload: unknown;
}

export interface ChatMessage {
  id: string;
  /** The sender as they were when they sent it. */
  from: { memberId: string; userId: string; userName: string };
  /** Sender's clock, ms since the epoch: for display; order is the array's. */
  ts: number;
  text?: string;
  custom?: CustomContent;
}

/** The byte size a message's content counts against MAX_MESSAGE_BYTES. */
export function messageContentBytes(content: string | CustomContent): number {
  if (typeof content === 'string') return utf8Length(content);
  return utf8Length(content.type) + utf8Length(JSON.stringify(content.payload ?? null));
}

/** Checks what a caller wants to send; throws a RoomError that says what is wrong. */
export function assertMessageContent(content: unknown, roomId: string): asserts content is string | CustomContent {
  const isText = typeof content === 'string';
  const isCustom =
    typeof content === 'object' && content !== null && typeof (content as CustomContent).type === 'string' && (content as CustomContent).type.length > 0;
  if (!isText && !isCustom) {
    throw new RoomError(ErrorCode.INVALID_CONFIG, 'a message is a string or { type, payload } with a non-empty type', roomId);
  }
  let bytes: number;
  try {
    bytes = messageContentBytes(content as string | CustomContent);
  } catch {
    // JSON.stringify throws on cycles and BigInt: such a payload cannot travel.
    throw new RoomError(ErrorCode.INVALID_CONFIG, 'a custom message payload must be JSON-serializable', roomId);
  }
  if (bytes > MAX_MESSAGE_BYTES) {
    throw new RoomError(ErrorCode.MESSAGE_TOO_LARGE, `a message is at most ${MAX_MESSAGE_BYTES} bytes (this one is ${bytes})`, roomId);
  }
}

/** A document entry as a ChatMessage, or null when a peer wrote something that is not one. */
export function toChatMessage(entry: unknown): ChatMessage | null {
  if (typeof entry !== 'object' || entry === null) return null;
  const { id, from, ts, text, custom } = entry as Partial<Record<keyof ChatMessage, unknown>>;
  if (typeof id !== 'string' || id.length === 0 || id.length > 128) return null;
  if (typeof ts !== 'number' || !Number.isFinite(ts)) return null;
  if (typeof from !== 'object' || from === null) return null;
  const { memberId, userId, userName } = from as Record<string, unknown>;
  if (typeof memberId !== 'string' || typeof userId !== 'string' || typeof userName !== 'string') return null;
  const sender = { memberId, userId, userName };
  if (typeof text === 'string' && custom === undefined) {
    return utf8Length(text) <= MAX_MESSAGE_BYTES ? { id, from: sender, ts, text } : null;
  }
  if (text === undefined && typeof custom === 'object' && custom !== null && typeof (custom as CustomContent).type === 'string') {
    const content = { type: (custom as CustomContent).type, payload: (custom as CustomContent).payload };
    return messageContentBytes(content) <= MAX_MESSAGE_BYTES ? { id, from: sender, ts, custom: content } : null;
  }
  return null;
}

export interface AttributeLimits {
  maxCount: number;
  maxKeyBytes: number;
  maxValueBytes: number;
}

/**
 * Checks a change to an attribute map against its limits before anything is written: the
 * resulting map must stay within `maxCount` keys. ATTRIBUTE_LIMIT names the first problem.
 */
export function assertAttributeChange(
  current: ReadonlyMap<string, string>,
  updates: Record<string, unknown>,
  deletions: readonly string[],
  limits: AttributeLimits,
  roomId: string,
): asserts updates is Record<string, string> {
  if (typeof updates !== 'object' || updates === null || Array.isArray(updates)) {
    throw new RoomError(ErrorCode.ATTRIBUTE_LIMIT, 'attributes are an object of string keys to string values', roomId);
  }
  const keys = new Set(current.keys());
  for (const key of deletions) keys.delete(key);
  for (const [key, value] of Object.entries(updates)) {
    if (key.length === 0 || utf8Length(key) > limits.maxKeyBytes) {
      throw new RoomError(ErrorCode.ATTRIBUTE_LIMIT, `an attribute key is 1–${limits.maxKeyBytes} bytes`, roomId);
    }
    if (typeof value !== 'string' || utf8Length(value) > limits.maxValueBytes) {
      throw new RoomError(ErrorCode.ATTRIBUTE_LIMIT, `attribute "${key}" must be a string of at most ${limits.maxValueBytes} bytes`, roomId);
    }
    keys.add(key);
  }
  if (keys.size > limits.maxCount) {
    throw new RoomError(ErrorCode.ATTRIBUTE_LIMIT, `at most ${limits.maxCount} attributes (this change would make ${keys.size})`, roomId);
  }
}

/** Reads a peer-written attribute map, keeping only entries within the limits. */
export function readAttributes(entries: Iterable<[string, unknown]>, limits: AttributeLimits): Record<string, string> {
  const result: Record<string, string> = {};
  let count = 0;
  for (const [key, value] of entries) {
    if (count >= limits.maxCount) break;
    if (typeof value !== 'string' || key.length === 0 || utf8Length(key) > limits.maxKeyBytes || utf8Length(value) > limits.maxValueBytes) continue;
    result[key] = value;
    count++;
  }
  return result;
}
