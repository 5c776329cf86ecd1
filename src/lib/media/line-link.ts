/**
 * Who is at the other end of each data connection of a room, and the messages that put streams
 * on its media lines (media-lines.ts) [R-30][R-31].
 *
 * Each end says `hello` with its member id on the control channel; from then on the link is
 * that member's. A player asks with `play` (a fresh `conn`, as over the relay: signals.ts), the
 * publisher puts the stream's tracks on a free line of its own and says `sending` with the line,
 * or `refuse`s; `stop` frees the line, `speaking` is the publisher's speech detector (speech.ts).
 * Everything read here is peer input: parsed, never trusted.
 */
import type { MediaLine, MediaLink } from './media-lines.js';

export type LineMessage =
  | { t: 'hello'; member: string }
  | { t: 'play'; stream: string; conn: string }
  | { t: 'stop'; stream: string; conn: string }
  | { t: 'sending'; stream: string; conn: string; line: number; audio: boolean; video: boolean }
  | { t: 'refuse'; stream: string; conn: string; code: string }
  | { t: 'speaking'; stream: string; conn: string; on: boolean };

const MEMBER_ID = /^\d{1,16}$/;
const TOKEN = /^[A-Za-z0-9_.:-]{1,64}$/;
/**
 * How long a data connection may take to say whose it is before players stop waiting for it:
 * one to a stock y-webrtc peer never does. Six members entering together have theirs named
 * within about 2 s on a 2-core machine.
 */
const NAMING_WAIT_MS = 8000;
/** Control messages are a few dozen bytes. */
const MAX_MESSAGE_CHARS = 1024;

/** A control message from the wire, or null when it is not one. */
export function parseLineMessage(text: string): LineMessage | null {
  if (text.length > MAX_MESSAGE_CHARS) return null;
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    return null;
  }
  if (typeof value !== 'object' || value === null) return null;
  const { t, member, stream, conn, line, audio, video, code, on } = value as Record<string, unknown>;
  if (t === 'hello') return typeof member === 'string' && MEMBER_ID.test(member) ? { t, member } : null;
  if (typeof stream !== 'string' || !TOKEN.test(stream) || typeof conn !== 'string' || !TOKEN.test(conn)) return null;
  switch (t) {
    case 'play':
    case 'stop':
      return { t, stream, conn };
    case 'sending':
      if (!Number.isInteger(line) || typeof audio !== 'boolean' || typeof video !== 'boolean') return null;
      return { t, stream, conn, line: line as number, audio, video };
    case 'refuse':
      return typeof code === 'string' && TOKEN.test(code) ? { t, stream, conn, code } : null;
    case 'speaking':
      return typeof on === 'boolean' ? { t, stream, conn, on } : null;
    default:
      return null;
  }
}

/** One member's data connection, as media sees it: its lines and its control messages. */
export class LineLink {
  readonly memberId: string;
  readonly #media: MediaLink;
  /** Our sending lines in use, by index: the `conn` of the copy on it. */
  readonly #taken = new Map<number, string>();

  constructor(memberId: string, media: MediaLink) {
    this.memberId = memberId;
    this.#media = media;
  }

  get pc(): RTCPeerConnection {
    return this.#media.pc;
  }

  get usable(): boolean {
    return this.#media.open;
  }

  send(message: LineMessage): boolean {
    return this.#media.send(JSON.stringify(message));
  }

  /** A free line to send on, or null when all are taken. */
  takeLine(conn: string): MediaLine | null {
    const line = this.#media.lines.find((candidate) => !this.#taken.has(candidate.index));
    if (!line) return null;
    this.#taken.set(line.index, conn);
    return line;
  }

  releaseLine(index: number, conn: string): void {
    if (this.#taken.get(index) === conn) this.#taken.delete(index);
  }

  /** The line the other end sends on as `index`, if there is one. */
  receivingLine(index: number): MediaLine | undefined {
    return this.#media.lines[index];
  }

  onClose(listener: () => void): () => void {
    return this.#media.on('close', listener);
  }
}

export interface RoomLinksEvents {
  /** A data connection was added, or a member's link came up or went away. */
  changed(): void;
  message(link: LineLink, message: Exclude<LineMessage, { t: 'hello' }>): void;
}

/**
 * The links of one room, by member. Fed with each data connection as y-webrtc makes it; a link
 * counts once its channel is open and the other end has said who it is.
 */
export class RoomLinks {
  readonly #localMemberId: string;
  /** Links whose other end has not said who it is yet: when each was added, and its NAMING_WAIT_MS timer. */
  readonly #unnamed = new Map<MediaLink, { since: number; timer: ReturnType<typeof setTimeout> }>();
  readonly #byMember = new Map<string, LineLink>();
  #events: RoomLinksEvents | null = null;
  #closed = false;

  constructor(localMemberId: string) {
    this.#localMemberId = localMemberId;
  }

  /** Where news goes; messages before anyone listens are dropped (nothing was announced yet). */
  listen(events: RoomLinksEvents | null): void {
    this.#events = events;
  }

  /** True while some data connection of the room has not said whose it is. */
  get pending(): boolean {
    return this.#unnamed.size > 0;
  }

  /** When each data connection that has not said whose it is yet was added (performance.now()). */
  get unnamedSince(): number[] {
    return [...this.#unnamed.values()].map(({ since }) => since);
  }

  /** Members with a named link. */
  get namedMembers(): string[] {
    return [...this.#byMember.keys()];
  }

  linkTo(memberId: string): LineLink | undefined {
    const link = this.#byMember.get(memberId);
    return link?.usable ? link : undefined;
  }

  add(media: MediaLink): void {
    if (this.#closed || media.closed || this.#unnamed.has(media)) return;
    const timer = setTimeout(() => {
      if (this.#unnamed.delete(media)) this.#events?.changed();
    }, NAMING_WAIT_MS);
    this.#unnamed.set(media, { since: performance.now(), timer });
    let link: LineLink | null = null;
    const hello = () => media.send(JSON.stringify({ t: 'hello', member: this.#localMemberId } satisfies LineMessage));
    if (media.open) hello();
    media.on('open', hello);
    media.on('message', (text) => {
      const message = parseLineMessage(text);
      if (!message || this.#closed) return;
      if (message.t === 'hello') {
        if (link || message.member === this.#localMemberId) return;
        link = new LineLink(message.member, media);
        this.#forgetUnnamed(media);
        this.#byMember.set(message.member, link);
        this.#events?.changed();
        return;
      }
      if (link) this.#events?.message(link, message);
    });
    media.on('close', () => {
      this.#forgetUnnamed(media);
      if (link && this.#byMember.get(link.memberId) === link) this.#byMember.delete(link.memberId);
      if (!this.#closed) this.#events?.changed();
    });
    this.#events?.changed(); // one more member is about to be reached (play-forecast.ts)
  }

  close(): void {
    this.#closed = true;
    this.#events = null;
    for (const media of [...this.#unnamed.keys()]) this.#forgetUnnamed(media);
    this.#byMember.clear();
  }

  #forgetUnnamed(media: MediaLink): void {
    clearTimeout(this.#unnamed.get(media)?.timer);
    this.#unnamed.delete(media);
  }
}
